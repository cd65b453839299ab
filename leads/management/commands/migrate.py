"""`manage.py migrate` over DATABASE_DIRECT_URL when that is set (past a transaction-mode PgBouncer)."""

from django.core.management.commands import migrate

from config.database import direct_connection


class Command(migrate.Command):
    help = f"{migrate.Command.help} Connects through DATABASE_DIRECT_URL when it is set."

    def execute(self, *args, **options):
        """Django's migrate, its checks included, on the direct connection."""
        with direct_connection(options["database"]):
            return super().execute(*args, **options)
