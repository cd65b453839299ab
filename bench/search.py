"""Time the searches at scale: resume words, a common surname, the admin search box against
a bare admin over the same indexes. Run by hand against PostgreSQL; never part of CI.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leads_search_1000000 \\
        .venv/bin/python bench/search.py --count 1000000 [--runs 15] [--explain]

Seeds `--count` leads with `seed_leads` (demo resume text and search vectors) when the
table holds another number, VACUUM ANALYZEs, then requests each page with Django's test
client (one warm connection, one request at a time) as a superuser and prints the median
time, the queries and the slowest query's share. `--explain` adds EXPLAIN (ANALYZE,
BUFFERS) of each page's slowest query. The bare admin is Django's stock ModelAdmin with the
same search_fields (and show_full_result_count off, so it does not count the whole table).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib import admin  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import path  # noqa: E402

from accounts.models import User  # noqa: E402
from config.urls import urlpatterns as product_urlpatterns  # noqa: E402
from leads.models import Lead  # noqa: E402

BENCH_USER = "bench-search"


class BareLeadAdmin(admin.ModelAdmin):
    """Django's defaults over the same columns (and so the same trigram indexes)."""

    search_fields = ["first_name", "last_name", "email"]
    show_full_result_count = False
    change_list_template = "admin/change_list.html"  # not the product's override


bare_site = admin.AdminSite(name="bare")
bare_site.register(Lead, BareLeadAdmin)
urlpatterns = [path("bare-admin/", bare_site.urls), *product_urlpatterns]

PAGES = [
    ("API ?resume_search=<rare word>", "/api/v1/leads/?resume_search=falconry"),
    ("API ?resume_search=<common word>", "/api/v1/leads/?resume_search=litigation"),
    ("API ?resume_search=<phrase> -word", '/api/v1/leads/?resume_search="machine learning" -spanish'),
    ("API ?search=smith", "/api/v1/leads/?search=smith"),
    ("API ?search=<a lead's email>", "/api/v1/leads/?search={email}"),
    ("API ?search=<an email, other case>", "/api/v1/leads/?search={EMAIL}"),
    ("API list (no search)", "/api/v1/leads/"),
    ("admin ?q=smith", "/admin/leads/lead/?q=smith"),
    ("bare admin ?q=smith", "/bare-admin/leads/lead/?q=smith"),
    ("admin ?q=<a lead's email>", "/admin/leads/lead/?q={email}"),
    ("bare admin ?q=<a lead's email>", "/bare-admin/leads/lead/?q={email}"),
    ("admin ?q=<rare resume word>", "/admin/leads/lead/?q=falconry"),
    ("bare admin ?q=<rare word>", "/bare-admin/leads/lead/?q=falconry"),
    ("admin changelist", "/admin/leads/lead/"),
]


def seed(count: int) -> None:
    if Lead.objects.count() == count:
        return
    Lead.objects.all().delete() if count < 100_000 else _truncate()
    started = time.perf_counter()
    call_command("seed_leads", count=count, seed=1)
    print(f"seeded {count:,} leads in {time.perf_counter() - started:.0f}s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE leads_lead")


def _truncate() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE leads_lead CASCADE")


def bench_client() -> Client:
    user = User.objects.get_by_username(BENCH_USER) or User.objects.create_superuser(
        BENCH_USER, "bench-search@example.com", None
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def measure(client: Client, url: str, runs: int) -> dict:
    times, slowest = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        slowest.append(max(captured.captured_queries, key=lambda q: float(q["time"])))
    worst = max(slowest, key=lambda q: float(q["time"]))
    return {"ms": statistics.median(times) * 1000, "queries": len(captured), "slowest": worst}


def explain(sql: str) -> str:
    if sql.startswith("EXPLAIN"):
        return "(the slowest query is the planner's estimate itself)"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("PostgreSQL only: set DATABASE_URL.")
    seed(args.count)
    # Templates read static files from the sources: no collectstatic manifest needed.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(ROOT_URLCONF=__name__, DEBUG=False, STORAGES=storages):
        client = bench_client()
        # The newest lead's address, as typed and in capitals: the same lead at every size.
        email = Lead.objects.newest_first().values_list("email", flat=True).first() or "nobody@example.com"
        pages = [
            (name, url.format(email=quote(email), EMAIL=quote(email.upper())))
            for name, url in PAGES
            if args.only in name
        ]
        for _name, url in pages:  # warm: templates, catalog caches, the connection
            client.get(url)
        print(f"{Lead.objects.count():,} leads; load {os.getloadavg()[0]:.2f}")
        print(f"{'page':<36} {'median ms':>9} {'queries':>7} {'slowest query ms':>16}")
        for name, url in pages:
            result = measure(client, url, args.runs)
            slowest = float(result["slowest"]["time"]) * 1000
            print(f"{name:<36} {result['ms']:>9.1f} {result['queries']:>7} {slowest:>16.1f}")
            if args.explain:
                print(explain(result["slowest"]["sql"]), end="\n\n")


if __name__ == "__main__":
    main()
