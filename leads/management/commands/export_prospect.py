"""`manage.py export_prospect EMAIL --output FILE.zip [--dry-run]`: a data-subject access
request in one command."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from leads import services


class Command(BaseCommand):
    help = (
        "Write everything held about the prospect with this email address (any spelling of the "
        "mailbox; a lead in the trash too) to a zip file: lead.json (the lead, its answers, "
        "resubmissions, status changes, notes, the deliveries' kinds, times and statuses) and every "
        "resume file. The export is recorded on the lead's timeline. --dry-run says what it would hold."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--output", required=True, metavar="FILE.zip", help="where to write the zip")
        parser.add_argument("--dry-run", action="store_true", help="say what it would hold, write nothing")

    def handle(self, *args, email: str, output: str, dry_run: bool, **options):
        if not email.strip():
            raise CommandError("Give the prospect's email address.")
        path = Path(output)
        if not dry_run and path.exists():
            raise CommandError(f"{path} exists; choose another --output (nothing is overwritten).")
        if dry_run:
            summary = services.export_prospect(email=email, output=None, dry_run=True)
        else:
            with path.open("xb") as file:
                summary = services.export_prospect(email=email, output=file)
            if not summary:
                path.unlink()
        if not summary:
            self.stdout.write("Nothing on file for that address.")
            return
        self.stdout.write("Would write (dry run):" if dry_run else f"Wrote {path}:")
        for what, n in summary.items():
            self.stdout.write(f"  {what:<20} {n}")
