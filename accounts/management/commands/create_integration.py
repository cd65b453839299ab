"""`manage.py create_integration NAME [--permissions view_lead,add_lead]`: an API account for
another program, not an attorney; prints its token once."""

from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import services

DEFAULT_PERMISSIONS = "view_lead,add_lead,change_lead"


class Command(BaseCommand):
    help = (
        "Create an integration: a user for another program, with an API token printed once. It is "
        "not staff and not an attorney: never notified of new leads, never offered as an assignee, "
        "no admin. Running it again for the same NAME sets its permissions and prints a new token."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the account's username, e.g. crm-sync")
        parser.add_argument(
            "--permissions",
            default=DEFAULT_PERMISSIONS,
            help=f"comma-separated codenames, app label optional (default {DEFAULT_PERMISSIONS}), "
            "e.g. view_lead,add_lead,change_lead,delete_lead,view_delivery",
        )

    def handle(self, *args, name, permissions, **options):
        wanted = [item.strip() for item in permissions.split(",") if item.strip()]
        found = []
        for item in wanted:
            app_label, _, codename = item.rpartition(".")
            matches = Permission.objects.filter(codename=codename)
            if app_label:
                matches = matches.filter(content_type__app_label=app_label)
            if len(matches) != 1:
                raise CommandError(f"Unknown permission {item!r}: use a codename such as view_lead.")
            found.append(matches[0])
        try:
            user, key = services.create_integration(name=name.strip(), permissions=found)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Integration {user.username} with {', '.join(wanted) or 'no permissions'}.")
        self.stdout.write("Its API token, shown only now (send it as 'Authorization: Token <key>'):")
        self.stdout.write(key)
