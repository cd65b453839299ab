"""Time the attorneys' admin pages at scale. Run by hand, never part of CI's pass/fail.

    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/leads_admin \
        .venv/bin/python bench/admin_pages.py --count 1000000 [--runs 7] [--reseed]

Seeds `--count` leads with `seed_leads` when the table holds fewer, runs ANALYZE, then
requests the changelist, a status filter, a search, the dashboard and the whole CSV export
with Django's test client as a superuser, and prints the median time and the queries of
each page (the export's COPY is not counted: it bypasses Django's cursor). Use a database
of its own: it adds rows and a superuser.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from leads.models import Lead  # noqa: E402

BENCH_USER = "bench-admin"


def seed(count: int) -> None:
    have = Lead.objects.count()
    if have >= count:
        print(f"{have:,} leads present, not seeding")
        return
    started = time.perf_counter()
    call_command("seed_leads", count=count - have)
    print(f"seeded {count - have:,} leads in {time.perf_counter() - started:.1f}s")


def analyze() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE leads_lead")
            cursor.execute("ANALYZE leads_statuschange")


def bench_client() -> Client:
    user = User.objects.get_by_username(BENCH_USER)
    if user is None:
        user = User.objects.create_superuser(BENCH_USER, "bench-admin@example.com", None)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def measure(client: Client, url: str, runs: int, stream: bool = False) -> tuple[float, int]:
    times, queries = [], 0
    for _ in range(runs):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if stream:  # the whole file: the export is built before its first byte is sent
                b"".join(response.streaming_content)
                response.close()
            times.append(time.perf_counter() - started)
        queries = len(captured)
    return statistics.median(times) * 1000, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    seed(args.count)
    analyze()
    client = bench_client()
    print(f"{Lead.objects.count():,} leads on {connection.vendor}; load {os.getloadavg()}")
    pages = [
        ("changelist", "/admin/leads/lead/", False),
        ("status filter", "/admin/leads/lead/?status__exact=PENDING", False),
        ("search (last name)", "/admin/leads/lead/?q=hopper42", False),
        ("search (email)", "/admin/leads/lead/?q=bench123456@", False),
        ("page 50", "/admin/leads/lead/?p=49", False),
        ("pending > 7 days", "/admin/leads/lead/?pending_older_than=7", False),
        ("dashboard", "/admin/leads/lead/dashboard/", False),
        ("export (every lead)", "/admin/leads/lead/export/", True),
    ]
    client.get(pages[0][1])  # warm up: templates, connection
    print(f"{'page':<24} {'median ms':>10} {'queries':>8}")
    for name, url, stream in pages:
        ms, queries = measure(client, url, args.runs, stream)
        print(f"{name:<24} {ms:>10.1f} {queries:>8}")
    print(f"load after: {os.getloadavg()}; DEBUG={settings.DEBUG}")


if __name__ == "__main__":
    main()
