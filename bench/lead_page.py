"""Time the admin lead page with a long history, in-process. Run by hand, never in CI.

    DEBUG=false SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/leads_bench_page \
        .venv/bin/python bench/lead_page.py [--notes 300] [--runs 30]

Makes (once) a lead with --notes notes in the database it is given, then requests its admin
page --runs times with Django's test client as a superuser and prints the median server time,
the median CPU time of this process, and the page's queries. Use a database of its own.
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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from leads.models import Lead, Note  # noqa: E402

BENCH_USER = "bench-page"
EMAIL = "bench.page@example.com"


def busy_lead(notes: int, user: User) -> Lead:
    lead = Lead.objects.filter(email=EMAIL).first()
    if lead is None:
        lead = Lead.objects.create(first_name="Ada", last_name="Bench", email=EMAIL, resume="resumes/x.pdf")
    have = Note.objects.filter(lead=lead).count()
    body = "Call {}: left a message.\nWill try again."
    Note.objects.bulk_create(Note(lead=lead, author=user, body=body.format(n)) for n in range(have, notes))
    return lead


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    # Without DEBUG, {% static %} needs collectstatic's manifest; the bench reads the sources.
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.STORAGES = {**settings.STORAGES, "staticfiles": static}
    call_command("migrate", verbosity=0)
    user = User.objects.filter(username=BENCH_USER).first() or User.objects.create_superuser(
        BENCH_USER, "bench-page@example.com", None
    )
    lead = busy_lead(args.notes, user)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    url = f"/admin/leads/lead/{lead.pk}/change/"
    client.get(url, secure=True)  # warm: template loading, content types
    times, cpu = [], []
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, secure=True)
            assert response.status_code == 200, response.status_code
            response.content  # noqa: B018 (rendered by now; the bytes are what a browser gets)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    median, fastest, median_cpu = (
        statistics.median(times) * 1000,
        min(times) * 1000,
        statistics.median(cpu) * 1000,
    )
    # The CPU time is this process's alone (Django, templates): steadier than the wall clock on
    # a busy machine; the database's share is in the wall time.
    print(
        f"{connection.vendor}: lead page, {args.notes} notes: median {median:.1f} ms (min {fastest:.1f}), "
        f"median CPU {median_cpu:.1f} ms, {len(captured)} queries, {len(response.content):,} bytes"
    )


if __name__ == "__main__":
    main()
