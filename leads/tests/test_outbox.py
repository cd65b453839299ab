"""The submission's outbox: the lead and its one task commit together or not at all, in one
transaction of a few statements, the same statements for a known address as for a new one."""

import os
import re
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from config.testing import ROOT
from leads import services
from leads.models import Lead, Resubmission
from leads.tests.documents import MINIMAL_PDF
from leads.tests.mail import run_worker
from leads.tests.queries import statements

CRASH = """
import os
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from leads import services

def submit():
    services.submit_lead(first_name="Cy", last_name="Crash", email="{email}",
                         resume=SimpleUploadedFile("cv.pdf", {pdf!r}))

{body}
"""


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


def crash(tmp_path: Path, *, email: str, body: str) -> int:
    """Run `body` in a process of its own that dies with os._exit(1); its exit status."""
    env = {**os.environ, "DEBUG": "false", "DATABASE_URL": database_url(), "MEDIA_ROOT": str(tmp_path)}
    code = CRASH.format(email=email, pdf=MINIMAL_PDF, body=body)
    command = [sys.executable, "manage.py", "shell", "-c", code]
    return subprocess.run(command, cwd=ROOT, env=env, timeout=120, capture_output=True).returncode


def form(email: str = "jane@example.com") -> dict:
    return {
        "first_name": "Jane",
        "last_name": "Doe",
        "email": email,
        "resume": SimpleUploadedFile("cv.pdf", MINIMAL_PDF),
    }


@contextmanager
def counting_transactions():
    """Count the transactions that commit on the default connection: each commit() of an
    atomic block, plus each statement run in autocommit (a transaction of its own)."""
    seen = {"commits": 0, "autocommit_statements": 0}
    original = connection.commit

    def commit():
        seen["commits"] += 1
        return original()

    def spy(execute, sql, params, many, context):
        # SQLite's BEGIN IMMEDIATE opens the atomic block's transaction; it is no statement.
        if not connection.in_atomic_block and not sql.startswith("BEGIN"):
            seen["autocommit_statements"] += 1
        return execute(sql, params, many, context)

    connection.commit = commit
    try:
        with connection.execute_wrapper(spy):
            yield seen
    finally:
        del connection.commit


@pytest.mark.django_db(transaction=True)
def test_a_crash_between_the_lead_insert_and_its_commit_leaves_neither_lead_nor_task(tmp_path):
    body = "with transaction.atomic():\n    submit()  # the INSERTs run...\n    os._exit(1)  # ...no commit"

    assert crash(tmp_path, email="before@example.com", body=body) == 1

    assert not Lead.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_crash_right_after_the_commit_leaves_the_lead_and_its_task(tmp_path):
    body = "submit()\nos._exit(1)"

    assert crash(tmp_path, email="after@example.com", body=body) == 1

    lead = Lead.objects.get()
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs["args"][0]["lead_id"] == str(lead.pk)


@pytest.mark.django_db(transaction=True)
def test_an_accepted_submission_is_its_hit_then_one_transaction_of_at_most_four_queries(client):
    # The limiter's hit commits alone, before the file is checked (issue 23: it counts whether
    # or not the check finishes); the form's practice areas and questions (one UNION, issue
    # 25); then the lead and its task in one transaction (nothing per attorney or per email,
    # and no look at the trash: the worker).
    with counting_transactions() as seen, CaptureQueriesContext(connection) as captured:
        response = client.post("/", form())

    assert response.status_code == 303
    # Outside the one transaction: the hit and the read of the form's questions.
    assert (seen["autocommit_statements"], seen["commits"]) == (2, 1)
    assert "ratelimitbucket" in statements(captured)[0]
    assert len(statements(captured)) <= 4, statements(captured)


def statement_shapes(client: Client, email: str) -> list[str]:
    """The SQL a form submission ran, values blanked out."""
    with CaptureQueriesContext(connection) as captured:
        assert client.post("/", form(email)).status_code == 303
    blank = re.compile(r"'[^']*'|\d+(?:\.\d+)?(?:e[+-]?\d+)?")
    return [blank.sub("?", sql) for sql in statements(captured)]


@pytest.mark.django_db(transaction=True)
def test_a_known_address_runs_the_same_statements_as_a_new_one(client):
    services.submit_lead(**form("known@example.com"))

    known = statement_shapes(client, "KNOWN@example.com")
    new = statement_shapes(client, "new@example.com")

    assert known == new
    assert Lead.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_an_address_whose_lead_is_in_the_trash_runs_the_same_statements_as_a_new_one(client):
    trashed = services.submit_lead(**form("trashed@example.com"))
    services.trash_leads(leads=Lead.objects.filter(pk=trashed.pk), by=None)

    assert statement_shapes(client, "Trashed@example.com") == statement_shapes(client, "new@example.com")


@pytest.mark.django_db(transaction=True)
def test_a_known_address_submitted_again_becomes_a_resubmission_with_its_own_file(client, settings):
    settings.ATTORNEY_NOTIFY_EMAILS = ["desk@firm.example"]
    client.post("/", form("jane@example.com"))
    again = form("Jane@Example.com") | {"resume": SimpleUploadedFile("new.pdf", MINIMAL_PDF + b"% v2\n")}
    client.post("/?utm_source=newsletter", again | {"source": "newsletter"})

    run_worker()

    lead = Lead.objects.get()
    [resubmission] = lead.resubmissions.all()
    assert resubmission.resume.name != lead.resume.name
    assert Path(resubmission.resume.path).read_bytes().endswith(b"% v2\n")
    assert resubmission.source == "newsletter"


@pytest.mark.django_db(transaction=True)
def test_a_submission_under_an_address_erased_before_the_worker_ran_keeps_nothing(client, settings):
    lead = services.submit_lead(**form("jane@example.com"))
    run_worker()
    client.post("/", form("jane@example.com"))  # a resubmission, waiting for the worker
    services.delete_leads(leads=Lead.objects.filter(pk=lead.pk))

    run_worker()

    assert not Resubmission.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    assert [path for path in media.rglob("*") if path.is_file()] == []


@pytest.mark.django_db(transaction=True)
def test_racing_first_submissions_of_one_address_give_one_lead_and_the_rest_resubmissions(settings):
    settings.INTAKE_RATE = "1000/minute"
    barrier, statuses = threading.Barrier(8), []

    def apply():
        try:
            barrier.wait()
            statuses.append(Client().post("/", form("race@example.com")).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=apply) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run_worker()

    assert statuses == [303] * 8
    lead = Lead.objects.get()
    assert lead.resubmissions.count() == 7
