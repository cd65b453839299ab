"""`manage.py purge_ratelimits`: drop rate-limit buckets whose window has ended (cron, hourly)."""

import time

from django.core.management.base import BaseCommand

from leads.models import RateLimitBucket


class Command(BaseCommand):
    help = (
        "Delete the database rate limiter's expired buckets in one DELETE (index on expires_at) "
        "and print how many. Live windows are kept; with CACHE_URL=redis://… Redis expires its own."
    )

    def handle(self, *args, **options):
        deleted, _ = RateLimitBucket.objects.expired(now=time.time()).delete()
        self.stdout.write(f"Deleted {deleted} expired rate-limit bucket(s).")
