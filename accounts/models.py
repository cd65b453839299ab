import secrets
import uuid
from collections.abc import Iterator

from django.contrib.auth.models import AbstractBaseUser, Permission, PermissionsMixin
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property
from knox.models import AuthToken, AuthTokenManager
from knox.settings import CONSTANTS

# The group the data migration creates: view and change leads, read their history.
ATTORNEYS_GROUP = "Attorneys"
PERMISSION_SEPARATOR = ","


class PermissionNames(models.Func):
    """The comma-joined "app_label.codename" names of the permissions of the user whose id is
    the argument (NULL for none): their own, or with `groups=True` their groups'. For
    User.remember_permissions.

    Plain SQL over Django's permission tables rather than a Subquery of Permission: resolving
    and compiling the ORM's two subqueries cost ~1.5 ms of every authenticated request, the
    token's or the session's.
    """

    output_field = models.TextField()

    def __init__(self, user, *, groups: bool = False):
        super().__init__(user)
        self.groups = groups

    def as_sql(self, compiler, connection, aggregate: str = "STRING_AGG", **extra_context):
        def table(model) -> str:
            return connection.ops.quote_name(model._meta.db_table)

        permission = table(Permission)
        if self.groups:
            source = (
                f"{table(User.groups.through)} m"
                f" JOIN {table(Permission.group_set.through)} g ON g.group_id = m.group_id"
                f" JOIN {permission} p ON p.id = g.permission_id"
            )
        else:
            source = f"{table(User.user_permissions.through)} m JOIN {permission} p ON p.id = m.permission_id"
        # Table names from the models, the separator a constant: nothing here comes from input.
        template = (
            f"(SELECT {aggregate}(ct.app_label || '.' || p.codename, '{PERMISSION_SEPARATOR}')"  # noqa: S608
            f" FROM {source} JOIN {table(ContentType)} ct ON ct.id = p.content_type_id"
            " WHERE m.user_id = %(expressions)s)"
        )
        return super().as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, aggregate="GROUP_CONCAT", **extra_context)


def permission_names(user: str) -> dict[str, PermissionNames]:
    """The two PermissionNames of the outer row's `user` column, for User.remember_permissions."""
    return {
        "own_permission_names": PermissionNames(user),
        "group_permission_names": PermissionNames(user, groups=True),
    }


class UserQuerySet(models.QuerySet):
    def active(self) -> "UserQuerySet":
        """Users who may log in."""
        return self.filter(is_active=True)

    def attorneys(self) -> "UserQuerySet":
        """Active members of the Attorneys group."""
        return self.active().filter(groups__name=ATTORNEYS_GROUP)

    def get_by_username(self, username: str) -> "User | None":
        """The user with this exact username among these, or None."""
        return self.filter(username=username).first()

    def with_permission_names(self) -> "UserQuerySet":
        """Users with their own and group permission names in the same query (permission_names)."""
        return self.annotate(**permission_names("pk"))


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    """The user repository: look-ups by name and email, activation."""

    def get_by_email(self, email: str) -> "User | None":
        """The user with this email in any letter case, or None; one probe of user_email_ci_unique.

        Compared as that index is built, lower(email) = lower(%s): email__iexact compiles to
        UPPER() on PostgreSQL, which no index serves. (Leads compare a normalised form kept in
        a column of its own, leads.addresses.AddressQuerySet; staff addresses have none.)
        """
        typed = Value(email.strip(), output_field=models.CharField())
        return self.alias(email_lower=Lower("email")).filter(email_lower=Lower(typed)).first()

    def get_with_permissions(self, pk) -> "User | None":
        """The user with this id and their permission names (permission_names), or None."""
        return self._with_permission_names.filter(pk=pk).first()

    @cached_property
    def _with_permission_names(self) -> UserQuerySet:
        """Built once per process and only ever filtered, as ApiTokenManager.matching's."""
        return self.with_permission_names()

    def deactivate(self, user: "User") -> "User":
        """Stop the user logging in (their history stays)."""
        return self._set_active(user, False)

    def activate(self, user: "User") -> "User":
        """Let the user log in again."""
        return self._set_active(user, True)

    def end_sessions(self, user: "User") -> "User":
        """Sign the user out of every session: a new session_stamp, which their sessions' hashes
        no longer match (User.get_session_auth_hash). Returns the user with it, for the caller's
        update_session_auth_hash to keep its own session."""
        user.session_stamp = secrets.token_hex(16)
        self.filter(pk=user.pk).update(session_stamp=user.session_stamp)
        return user

    def _set_active(self, user: "User", is_active: bool) -> "User":
        self.filter(pk=user.pk).update(is_active=is_active)
        user.is_active = is_active
        return user


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(
        max_length=50,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        help_text="50 characters or fewer. Letters, digits and @/./+/-/_ only.",
        error_messages={"unique": "A user with that username already exists."},
    )
    email = models.EmailField(max_length=255)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Whether the user can log into the admin site.")
    date_joined = models.DateTimeField(default=timezone.now)
    session_stamp = models.CharField(
        max_length=32,
        blank=True,
        editable=False,
        help_text="Renewed when the user's second factor changes, which ends their sessions.",
    )

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                violation_error_message="A user with that email already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def created_at(self):
        return self.date_joined

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        return self.username

    def get_session_auth_hash(self) -> str:
        """Django's hash of the password, stamped with session_stamp: a session stores it at sign-in
        and ends when it no longer matches, after a new password or a new stamp."""
        return self._stamped(super().get_session_auth_hash())

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for password_hash in super().get_session_auth_fallback_hash():
            yield self._stamped(password_hash)

    def _stamped(self, password_hash: str) -> str:
        # Never stamped: Django's own hash, so sessions from before the stamp existed live on.
        if not self.session_stamp:
            return password_hash
        return salted_hmac(
            "accounts.User.get_session_auth_hash", f"{password_hash}:{self.session_stamp}", algorithm="sha256"
        ).hexdigest()

    def remember_permissions(self, own: str | None, group: str | None) -> "User":
        """Fill the caches ModelBackend reads from permission_names' two columns, so permission
        checks on this user ask the database nothing. Superusers are left alone: Django gives
        them every permission without asking."""
        if not self.is_superuser:
            self._user_perm_cache = set(own.split(PERMISSION_SEPARATOR)) if own else set()
            self._group_perm_cache = set(group.split(PERMISSION_SEPARATOR)) if group else set()
            self._perm_cache = self._user_perm_cache | self._group_perm_cache
        return self


class PassedSecondFactor(models.Func):
    """Whether the token whose digest is the argument was issued by a sign-in that passed a
    second factor: it has a TokenSecondFactor row. For ApiTokenQuerySet.with_second_factor.

    Plain SQL, as PermissionNames: an ORM Exists, or select_related of the row, added 50-100 µs
    of CPU to compiling the query of every token-authenticated request; this adds 10-30.
    """

    output_field = models.BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        quote = connection.ops.quote_name
        table = quote(TokenSecondFactor._meta.db_table)
        column = quote(TokenSecondFactor._meta.get_field("token").column)
        # Table and column names from the model: nothing here comes from input.
        template = f"(EXISTS (SELECT 1 FROM {table} WHERE {table}.{column} = %(expressions)s))"  # noqa: S608
        return super().as_sql(compiler, connection, template=template, **extra_context)


class ApiTokenQuerySet(models.QuerySet):
    def expired(self) -> "ApiTokenQuerySet":
        """Tokens past their expiry."""
        return self.filter(expiry__lte=timezone.now())

    def with_second_factor(self) -> "ApiTokenQuerySet":
        """Tokens with `passed_second_factor`: whether the sign-in that issued each passed a
        second factor (PassedSecondFactor), in the same query."""
        return self.annotate(passed_second_factor=PassedSecondFactor("digest"))


class ApiTokenManager(AuthTokenManager.from_queryset(ApiTokenQuerySet)):
    """knox's manager: `create(user=...)` returns the token and its key, which is never stored."""

    def matching(self, key: str) -> ApiTokenQuerySet:
        """Tokens stored under `key`'s first characters, with their user, the user's permission
        names (permission_names) and whether they passed a second factor: authentication in
        one query."""
        return self._with_user_and_permissions.filter(token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH])

    @cached_property
    def _with_user_and_permissions(self) -> ApiTokenQuerySet:
        """Built once per process and only ever filtered (a clone), never evaluated: resolving
        the two permission subqueries took 3.6 of the 8.3 ms every API request spent on its token."""
        return self.select_related("user").annotate(**permission_names("user_id")).with_second_factor()


class ApiToken(AuthToken):
    """An API token: django-rest-knox's table, which holds its SHA-512 digest and its first 15
    characters (to find it), never the key, which its owner sees once."""

    objects = ApiTokenManager()

    class Meta:
        proxy = True
        verbose_name = "API token"
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.token_key[:8]}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()


class TokenSecondFactor(models.Model):
    """That an API token was issued by a sign-in that passed a second factor: the token endpoint
    with a right code, or the admin for its holder signed in with one. No row: it did not (a
    token issued before this table, by a superuser for someone else, or by a command).

    A table beside knox's rather than knox's swappable token model (KNOX_TOKEN_MODEL): knox's
    own migrations create its table whatever the setting, so swapping would strand it and move
    every token across for one bit, where this row is one EXISTS in the query that
    authenticates a token (ApiTokenManager.matching).
    """

    token = models.OneToOneField(
        ApiToken, on_delete=models.CASCADE, primary_key=True, related_name="second_factor"
    )

    class Meta:
        verbose_name = "second factor of an API token"
        verbose_name_plural = "second factors of API tokens"

    def __str__(self) -> str:
        # Never the digest (the primary key): the admin lists this row when a token is deleted.
        return "passed a second factor"
