"""What the prospect's language costs: the public form in English and in Spanish (the
language middleware and the catalogue lookups), and the admin list filtered by language at
the table's size. Run by hand against a seeded PostgreSQL database; never part of CI.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leads_f30 .venv/bin/python bench/language.py [--runs 200]

Marks about 1 lead in 20 as Spanish when none is (one UPDATE), then requests each page with
Django's test client (one warm connection, one request at a time) and prints the median
time, the queries, and EXPLAIN ANALYZE of the language-filtered list's page query.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from leads.models import Lead  # noqa: E402


def timed(client: Client, url: str, runs: int, **headers) -> tuple[float, int]:
    """Median milliseconds of `runs` GETs of `url`, and the queries of one."""
    client.get(url, **headers)  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url, **headers)
    return statistics.median(times), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    total = Lead.objects.count()
    if not Lead.objects.in_language("es").exists():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE leads_lead SET language = 'es' WHERE random() < 0.05")
            cursor.execute("ANALYZE leads_lead")
    print(f"{total} leads, {Lead.objects.in_language('es').count()} Spanish")

    prospect = Client()
    for label, header in [("form, English", "en-US,en;q=0.9"), ("form, Spanish", "es-ES,es;q=0.9")]:
        median, queries = timed(prospect, "/", runs, HTTP_ACCEPT_LANGUAGE=header)
        print(f"{label:<32} {median:7.2f} ms  {queries} queries")

    user = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench-language", "bench-language@example.com", "x"
    )
    attorney = Client()
    attorney.force_login(user)
    for label, url in [
        ("admin list", "/admin/leads/lead/"),
        ("admin list, language=es", "/admin/leads/lead/?language=es"),
    ]:
        median, queries = timed(attorney, url, max(runs // 10, 5))
        print(f"{label:<32} {median:7.2f} ms  {queries} queries")

    page = Lead.objects.for_lists().in_language("es").order_by("-created_at", "-id")[:100]
    print(page.explain(analyze=True))


if __name__ == "__main__":
    main()
