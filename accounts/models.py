import uuid

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

# The group the data migration creates: view and change leads, read their history.
ATTORNEYS_GROUP = "Attorneys"


class UserQuerySet(models.QuerySet):
    def active(self) -> "UserQuerySet":
        """Users who may log in."""
        return self.filter(is_active=True)

    def attorneys(self) -> "UserQuerySet":
        """Active members of the Attorneys group."""
        return self.active().filter(groups__name=ATTORNEYS_GROUP)


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    """The user repository: look-ups by name and email, activation."""

    def get_by_username(self, username: str) -> "User | None":
        """The user with this exact username, or None."""
        return self.filter(username=username).first()

    def get_by_email(self, email: str) -> "User | None":
        """The user with this email in any letter case, or None."""
        return self.filter(email__iexact=email.strip()).first()

    def deactivate(self, user: "User") -> "User":
        """Stop the user logging in (their history stays)."""
        return self._set_active(user, False)

    def activate(self, user: "User") -> "User":
        """Let the user log in again."""
        return self._set_active(user, True)

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
