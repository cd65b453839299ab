"""`manage.py purge_leads --older-than DAYS`: the retention job, safe to run from cron."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leads import services
from leads.models import Lead


class Command(BaseCommand):
    help = (
        "Delete leads submitted more than DAYS days ago, with their resume files and status "
        "history, in batches. Prints how many; exit status 0 on success, 1 on an error."
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
        cutoff = timezone.now() - timedelta(days=older_than)
        leads = Lead.objects.created_before(cutoff)
        if status:
            leads = leads.with_status(status)
        what = f"leads older than {older_than} days" + (f" with status {status}" if status else "")
        if dry_run:
            self.stdout.write(f"Would delete {leads.count()} {what} (dry run).")
            return
        deleted = 0
        while True:
            # Each batch commits on its own (its files go with it): locks stay short, and an
            # interrupted run keeps what it did; the next run continues where it stopped.
            batch = list(leads.order_by("created_at", "id").values_list("pk", flat=True)[:batch_size])
            if not batch:
                break
            deleted += services.delete_leads(leads=Lead.objects.filter(pk__in=batch))
        self.stdout.write(f"Deleted {deleted} {what}.")
