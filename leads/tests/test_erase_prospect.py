"""erase_prospect: one command removes every trace of one prospect, says what, and finds
nothing the second time. Real form submissions, SMTP server and worker runs."""

import logging
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads import services
from leads.intake.forms import HONEYPOT_FIELD
from leads.models import AssignmentChange, Lead, Note
from leads.tests.factories import MINIMAL_PDF
from leads.tests.mail import run_worker
from leads.tests.traces import needles_for, rows_mentioning, stored_files

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "ada@example.com"


def apply(client, email: str = EMAIL, **extra) -> None:
    resume = SimpleUploadedFile("Ada Lovelace.pdf", MINIMAL_PDF, content_type="application/pdf")
    data = {"first_name": "Ada", "last_name": "Lovelace", "email": email, "resume": resume, **extra}
    assert client.post("/", data).status_code == 303


def erase(*args: str) -> str:
    out = StringIO()
    call_command("erase_prospect", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def prospect(client, smtp, attorney, attorney_client, integration_client) -> Lead:
    """A prospect with something of every kind on file, and one submission still queued."""
    apply(client)
    apply(client, email="ADA@example.com")  # a resubmission
    apply(client, email="grace@example.com")  # somebody else
    run_worker()
    lead = Lead.objects.get(email=EMAIL)
    resubmission = lead.resubmissions.get()
    attorney_client.get(f"/admin/leads/lead/{lead.pk}/resume/")
    integration_client.get(f"/api/v1/leads/{lead.pk}/resume/", {"resubmission": str(resubmission.pk)})
    attorney_client.post(
        "/admin/leads/lead/", {"action": "mark_reached_out", "_selected_action": [str(lead.pk)]}
    )
    change = {"first_name": "Augusta", "last_name": "Lovelace", "email": EMAIL, "status": "REACHED_OUT"}
    attorney_client.post(
        f"/admin/leads/lead/{lead.pk}/change/",
        change | {"status_changes-TOTAL_FORMS": "0", "status_changes-INITIAL_FORMS": "0"},
    )
    Note.objects.create(lead=lead, author=attorney, body="Called, left a message.")
    AssignmentChange.objects.create(lead=lead, to_user=attorney, changed_by=attorney)
    apply(client, email="Ada@Example.com", **{HONEYPOT_FIELD: "autofilled"})  # a trapped submission
    apply(client)  # stored and queued, the worker has not seen it yet
    return lead


def test_erasure_leaves_no_file_row_log_entry_or_task_mentioning_the_prospect(prospect, settings):
    grace = Lead.objects.get(email="grace@example.com")

    erase("ADA@EXAMPLE.COM")
    run_worker()

    assert rows_mentioning(*needles_for(prospect), "Augusta") == {}
    assert stored_files(settings.MEDIA_ROOT) == [grace.resume.name]
    assert Lead.objects.get() == grace


def test_erasure_says_what_it_removed(prospect):
    output = erase(EMAIL)

    assert output.splitlines() == [
        "Removed:",
        "  leads                1",
        "  resume files         4",
        "  resubmissions        1",
        "  status changes       1",
        "  assignment changes   1",
        "  notes                1",
        "  deliveries           4",
        "  resume downloads     2",
        "  trapped submissions  1",
        "  admin log entries    1",
        "  task rows            5",
    ]


def test_erasure_run_twice_finds_nothing_the_second_time(prospect):
    erase(EMAIL)

    assert erase(EMAIL) == "Nothing on file for that address.\n"


def test_an_address_never_seen_is_nothing_on_file(db):
    assert erase("nobody@example.com") == "Nothing on file for that address.\n"


def test_a_dry_run_says_what_would_go_and_removes_nothing(prospect, settings):
    files = stored_files(settings.MEDIA_ROOT)

    output = erase(EMAIL, "--dry-run")
    run_worker()

    assert output.startswith("Would remove (dry run):\n  leads                1\n")
    assert Lead.objects.filter(pk=prospect.pk).exists()
    assert stored_files(settings.MEDIA_ROOT) == files


def test_erasure_logs_nothing_of_the_prospect(prospect, caplog):
    with caplog.at_level(logging.DEBUG):
        erase(EMAIL)
        run_worker()

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert all(needle.lower() not in logged.lower() for needle in needles_for(prospect))


def test_erasure_also_removes_a_trapped_submission_when_no_lead_has_the_address(client, settings):
    apply(client, **{HONEYPOT_FIELD: "autofilled"})

    output = erase(EMAIL)
    run_worker()

    assert "trapped submissions  1" in output
    assert stored_files(settings.MEDIA_ROOT) == []
    assert rows_mentioning(EMAIL) == {}


def test_the_service_counts_what_it_would_erase_without_erasing(prospect):
    counts = services.erase_prospect(email=EMAIL, dry_run=True)

    assert counts["leads"] == 1 and counts["trapped submissions"] == 1
    assert Lead.objects.filter(pk=prospect.pk).exists()


def test_erasure_leaves_an_address_that_merely_contains_the_erased_one(client, settings):
    apply(client, email="ada@example.com")
    apply(client, email="lovelace.ada@example.com")
    run_worker()
    apply(client, email="lovelace.ada@example.com")  # a resubmission, waiting for the worker

    erase(EMAIL)
    run_worker()

    other = Lead.objects.get()
    assert other.email == "lovelace.ada@example.com"
    assert other.resubmissions.count() == 1
    assert [name for name in stored_files(settings.MEDIA_ROOT) if name != other.resume.name] == [
        other.resubmissions.get().resume.name
    ]


def test_erasure_finds_what_was_typed_in_another_spelling_of_the_mailbox(client, settings):
    apply(client, email="ada@example.com")
    run_worker()
    apply(client, email="ADA@\uff45xample.com")  # a resubmission, waiting for the worker
    apply(client, email="ada@exa\u00admple.com", **{HONEYPOT_FIELD: "autofilled"})  # kept as typed

    output = erase("Ada@Example.com")
    run_worker()

    assert "trapped submissions  1" in output
    assert Lead.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []
    assert rows_mentioning("ada@", "ada\u00ad", "@\uff45xample") == {}


def test_erasure_after_an_email_correction_removes_the_work_queued_under_the_old_address(
    client, attorney_client, settings
):
    apply(client, email="ada.old@example.com")
    run_worker()
    lead = Lead.objects.get()
    apply(client, email="ada.old@example.com", source="newsletter")  # queued, not yet processed
    corrected = {"first_name": "Ada", "last_name": "Lovelace", "email": EMAIL, "status": "PENDING"}
    attorney_client.post(f"/admin/leads/lead/{lead.pk}/change/", corrected)

    output = erase(EMAIL)
    run_worker()

    assert "task rows" in output
    assert stored_files(settings.MEDIA_ROOT) == []
    assert rows_mentioning("ada.old@example.com", "newsletter", str(lead.pk)) == {}


def test_erasure_removes_failed_tasks_whose_error_names_the_address_and_only_those(db):
    def failed(traceback: str) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status="FAILED",
            args_kwargs={"args": [], "kwargs": {}},
            task_path="leads.worker.fanout.handle_event",
            backend_name="default",
            run_after=timezone.now(),
            traceback=traceback,
        )

    failed("IntegrityError: Key (lower(email))=(ada@example.com) already exists.")
    other = failed("IntegrityError: Key (lower(email))=(lovelace.ada@example.com) already exists.")

    assert "task rows            1" in erase("Ada@Example.com")
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [other.pk]
