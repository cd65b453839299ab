"""`manage.py migrate` over DATABASE_DIRECT_URL when that is set (past a transaction-mode PgBouncer)."""

from django.core.management.commands import migrate

from leads.management.database import DirectConnectionCommand


class Command(DirectConnectionCommand, migrate.Command):
    help = f"{migrate.Command.help} Connects through DATABASE_DIRECT_URL when it is set."
