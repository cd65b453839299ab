"""`manage.py check_deliveries [--max-age MINUTES]`: for cron or a monitoring system.

Exit status 1, with one line per reason, when a delivery has waited longer than MINUTES
(default 15) or one failed in the last 24 hours — or when background work that would create
deliveries is stuck or failed (the worker is down, a fan-out crashed). Else 0, with a
one-line summary, which never says OK when emails were only printed to the log.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import ngettext
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from leads.models import Delivery


class Command(BaseCommand):
    help = (
        "Exit 1 and say why when a delivery waited longer than --max-age minutes or failed in "
        "the last 24 hours (or a background task is stuck or failed); else exit 0. Emails only "
        "printed to the log in the last 24 hours (DEBUG without EMAIL_URL: nobody received "
        "them) are counted and said, with exit 0: that is what DEBUG asks for, not a delivery "
        "gone wrong, and with DEBUG off an email without a mail server fails (exit 1) instead."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--max-age", type=int, default=15, metavar="MINUTES", help="longest acceptable wait"
        )

    def handle(self, *args, max_age: int, **options):
        if max_age < 1:
            raise CommandError("--max-age must be at least 1 minute.")
        now = timezone.now()
        waited_since = now - timedelta(minutes=max_age)
        day_ago = now - timedelta(days=1)
        problems = []

        waiting = Delivery.objects.with_status(Delivery.Status.QUEUED).filter(created_at__lt=waited_since)
        if count := waiting.count():
            oldest = Delivery.objects.oldest_queued()
            problems.append(
                f"{count} deliveries queued for more than {max_age} minutes "
                f"(oldest since {oldest.created_at:%Y-%m-%d %H:%M %Z}): is the worker running?"
            )
        outcomes = Delivery.objects.outcomes_since(day_ago)
        if count := outcomes["failed"]:
            problems.append(
                f"{count} deliveries failed in the last 24 hours (admin: Deliveries, status failed)."
            )
        # Due for longer than MINUTES: enqueued that long ago, and not deferred to a later time.
        stuck = (
            DBTaskResult.objects.ready()
            .filter(enqueued_at__lt=waited_since)
            .exclude(run_after__gte=waited_since, run_after__lt=get_date_max())
        )
        if count := stuck.count():
            problems.append(
                f"{count} background tasks waiting for more than {max_age} minutes: is the worker running?"
            )
        if count := DBTaskResult.objects.filter(
            status=TaskResultStatus.FAILED, finished_at__gte=day_ago
        ).count():
            problems.append(f"{count} background tasks failed in the last 24 hours (admin: Task results).")

        printed = ""
        if count := outcomes["printed"]:
            printed = ngettext(
                "%(n)d email in the last 24 hours was only printed to the log, not sent "
                "(no mail server is configured: EMAIL_URL).",
                "%(n)d emails in the last 24 hours were only printed to the log, not sent "
                "(no mail server is configured: EMAIL_URL).",
                count,
            ) % {"n": count}
        if problems:
            for problem in [*problems, printed] if printed else problems:
                self.stderr.write(problem)
            raise SystemExit(1)
        fine = f"none waiting longer than {max_age} minutes, none failed in the last 24 hours"
        self.stdout.write(f"Deliveries: {fine}; {printed}" if printed else f"Deliveries OK: {fine}.")
