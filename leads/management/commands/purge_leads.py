"""`manage.py purge_leads --older-than DAYS`: the retention job, safe to run from cron."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leads import services
from leads.models import TRAPPED_KEEP_DAYS, Lead, TrappedSubmission

# A stored file no row refers to is an orphan once it is this old: younger, it may belong
# to a submission still being saved.
ORPHAN_AGE = timedelta(days=1)


class Command(BaseCommand):
    help = (
        "Delete leads submitted more than DAYS days ago with everything recorded about them "
        "and their files, in batches; delete honeypot submissions older than 7 days; remove "
        "stored files no row refers to. Prints how many; exit status 0 on success, 1 on an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, required=True, metavar="DAYS")
        parser.add_argument("--status", choices=Lead.Status.values, help="only leads in this status")
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")
        parser.add_argument("--batch-size", type=int, default=1_000, help="leads per transaction")

    def handle(self, *args, older_than: int, status: str | None, dry_run: bool, batch_size: int, **options):
        if older_than < 1:
            # A typo in a crontab must not empty the table.
            raise CommandError("--older-than must be at least 1 day.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        # The trash included: retention erases what is old wherever it is.
        leads = Lead.all_objects.created_before(timezone.now() - timedelta(days=older_than))
        if status:
            leads = leads.with_status(status)
        what = f"leads older than {older_than} days" + (f" with status {status}" if status else "")
        trapped = TrappedSubmission.objects.created_before(timezone.now() - timedelta(days=TRAPPED_KEEP_DAYS))
        trapped_what = f"trapped submissions older than {TRAPPED_KEEP_DAYS} days"
        if dry_run:
            self.stdout.write(f"Would delete {leads.count()} {what} (dry run).")
            self.stdout.write(f"Would delete {trapped.count()} {trapped_what} (dry run).")
            orphans = services.sweep_orphan_files(older_than=ORPHAN_AGE, dry_run=True)
            self.stdout.write(f"Would remove {orphans} orphaned files (dry run).")
            return
        self.stdout.write(f"Deleted {self.delete_in_batches(leads, batch_size)} {what}.")
        self.stdout.write(f"Deleted {services.delete_trapped_submissions(trapped=trapped)} {trapped_what}.")
        try:
            orphans = services.sweep_orphan_files(older_than=ORPHAN_AGE)
        except Exception as exc:  # whatever the storage raises: OSError, botocore's errors, ...
            raise CommandError(
                f"Could not look for orphaned files ({type(exc).__name__}); the next run will."
            ) from exc
        self.stdout.write(f"Removed {orphans} orphaned files.")

    def delete_in_batches(self, leads, batch_size: int) -> int:
        """Delete `leads` batch by batch; returns how many went."""
        deleted = 0
        while True:
            # Each batch commits on its own (its files go with it): locks stay short, and an
            # interrupted run keeps what it did; the next run continues where it stopped.
            batch = list(leads.order_by("created_at", "id").values_list("pk", flat=True)[:batch_size])
            if not batch:
                return deleted
            deleted += services.delete_leads(leads=Lead.all_objects.filter(pk__in=batch))
