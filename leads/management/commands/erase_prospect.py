"""`manage.py erase_prospect EMAIL [--dry-run]`: a data-subject erasure request in one command."""

from django.core.management.base import BaseCommand, CommandError

from leads import services


class Command(BaseCommand):
    help = (
        "Erase every trace of the prospect with this email address (in any spelling that reaches "
        "the same mailbox): the lead, its history, notes, deliveries, resume downloads, "
        "resubmissions and their files, trapped submissions, admin log entries and task rows that "
        "mention it or an address the lead had before. Says what it removed; safe to run again. "
        "The files go once the worker has run."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--dry-run", action="store_true", help="say what would go, remove nothing")

    def handle(self, *args, email: str, dry_run: bool, **options):
        if not email.strip():
            raise CommandError("Give the prospect's email address.")
        counts = {what: n for what, n in services.erase_prospect(email=email, dry_run=dry_run).items() if n}
        if not counts:
            self.stdout.write("Nothing on file for that address.")
            return
        self.stdout.write("Would remove (dry run):" if dry_run else "Removed:")
        for what, n in counts.items():
            self.stdout.write(f"  {what:<20} {n}")
