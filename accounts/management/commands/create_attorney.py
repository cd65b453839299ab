"""`manage.py create_attorney USERNAME EMAIL`: a staff account in the Attorneys group."""

import getpass
import os

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from accounts.models import ATTORNEYS_GROUP, User

PASSWORD_ENV = "ATTORNEY_PASSWORD"  # noqa: S105 (a variable name, not a password)


class Command(BaseCommand):
    help = (
        "Create an attorney: a staff user in the Attorneys group (view and change leads). "
        f"The password comes from --password, the {PASSWORD_ENV} environment variable, or a prompt. "
        "Running it again for the same username and email only makes sure of staff and group."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("email")
        parser.add_argument(
            "--password", help=f"the password (visible in the process list; prefer {PASSWORD_ENV})"
        )
        parser.add_argument("--full-name", default="", help="the attorney's name as shown to colleagues")

    def handle(self, *args, username, email, password, full_name, **options):
        username, email = username.strip(), email.strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"{email!r} is not a valid email address.") from exc
        password = password or os.environ.get(PASSWORD_ENV) or None

        existing = User.objects.get_by_username(username)
        by_email = User.objects.get_by_email(email)
        if existing is not None and existing.email.lower() != email.lower():
            raise CommandError(f"The username {username!r} is already taken by a user with another email.")
        if existing is None and by_email is not None:
            raise CommandError(f"The email {email!r} already belongs to the user {by_email.username!r}.")

        group = Group.objects.filter(name=ATTORNEYS_GROUP).first()
        if group is None:
            raise CommandError(f"The {ATTORNEYS_GROUP!r} group is missing: run `manage.py migrate` first.")

        if existing is not None:
            self._make_attorney(existing, group, password)
            self.stdout.write(f"{username} already existed; made sure it is an active attorney.")
            return

        candidate = User(username=username, email=email, full_name=full_name)
        try:
            candidate.full_clean(exclude=["password"])
            if password is not None:
                validate_password(password, candidate)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if password is None:
            password = self._prompt_password(candidate)
        with transaction.atomic():
            user = User.objects.create_user(username, email, password, full_name=full_name, is_staff=True)
            user.groups.add(group)
        self.stdout.write(self.style.SUCCESS(f"Created attorney {username}."))

    def _make_attorney(self, user: User, group: Group, password: str | None) -> None:
        if password is not None:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from exc
            user.set_password(password)
        user.is_staff = True
        user.is_active = True
        with transaction.atomic():
            user.save()
            user.groups.add(group)

    def _prompt_password(self, user: User) -> str:
        """A password typed twice that the validators accept: a refused one (too common, too
        short) is said why and asked for again, like `createsuperuser` does."""
        if not os.isatty(0):
            raise CommandError(f"No password: pass --password, set {PASSWORD_ENV}, or run in a terminal.")
        for _ in range(3):
            first = getpass.getpass("Password: ")
            if not first or first != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords are empty or differ; try again.")
                continue
            try:
                validate_password(first, user)
            except ValidationError as exc:
                self.stderr.write(f"{' '.join(exc.messages)} Try another.")
                continue
            return first
        raise CommandError("No password given.")
