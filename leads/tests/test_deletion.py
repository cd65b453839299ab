"""Deleting leads leaves nothing of the prospect: rows, files (resubmissions' too), queued
work, admin log entries. Real form submissions, real worker runs, files on disk."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult

from leads.models import Lead, Resubmission
from leads.tests.factories import MINIMAL_PDF
from leads.tests.mail import run_worker
from leads.tests.traces import needles_for, rows_mentioning, stored_files

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _erased_at_once(settings):
    """These tests follow a deletion to its end: with LEAD_TRASH_DAYS=0 it skips the trash
    (test_trash.py follows a lead through the trash and its purge)."""
    settings.LEAD_TRASH_DAYS = 0


EMAIL = "ada@example.com"


def apply(client, email: str = EMAIL) -> None:
    """One application through the public form."""
    resume = SimpleUploadedFile("Ada Lovelace CV.pdf", MINIMAL_PDF, content_type="application/pdf")
    data = {"first_name": "Ada", "last_name": "Lovelace", "email": email, "resume": resume}
    assert client.post("/", data).status_code == 303


@pytest.fixture
def resubmitted_lead(client) -> Lead:
    """A lead from the form that applied a second time, both processed by the worker."""
    apply(client)
    apply(client, email=EMAIL.upper())
    run_worker()
    lead = Lead.objects.get()
    assert lead.resubmissions.count() == 1
    return lead


def test_deleting_a_lead_through_the_api_removes_its_resubmissions_files_too(
    resubmitted_lead, integration_client, settings
):
    assert len(stored_files(settings.MEDIA_ROOT)) == 2

    assert integration_client.delete(f"/api/v1/leads/{resubmitted_lead.pk}/").status_code == 204
    run_worker()

    assert stored_files(settings.MEDIA_ROOT) == []
    assert not Resubmission.objects.exists()


def test_the_files_stay_until_the_worker_removes_them_after_the_commit(
    resubmitted_lead, admin_client, settings
):
    admin_client.post(f"/admin/leads/lead/{resubmitted_lead.pk}/delete/", {"post": "yes"})

    assert not Lead.objects.exists()
    assert len(stored_files(settings.MEDIA_ROOT)) == 2  # not yet: the task waits for the worker
    run_worker()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_the_removal_task_names_only_the_random_file_names(resubmitted_lead, integration_client):
    integration_client.delete(f"/api/v1/leads/{resubmitted_lead.pk}/")

    [task] = DBTaskResult.objects.filter(task_path="leads.worker.files.remove_files", status="READY")
    names = task.args_kwargs["args"][0]
    assert len(names) == 2
    assert all(re.fullmatch(r"resumes/[0-9a-f]{32}\.pdf", name) for name in names)


def test_a_bulk_delete_in_the_admin_removes_every_file(client, admin_client, settings):
    apply(client, "ada@example.com")
    apply(client, "grace@example.com")
    run_worker()
    ids = [str(pk) for pk in Lead.objects.values_list("pk", flat=True)]

    admin_client.post(
        "/admin/leads/lead/", {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    )
    run_worker()

    assert not Lead.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_a_deleted_lead_leaves_no_trace_in_any_table(resubmitted_lead, attorney_client, admin_client):
    attorney_client.get(f"/admin/leads/lead/{resubmitted_lead.pk}/resume/")
    change = {"first_name": "Augusta", "last_name": "Lovelace", "email": EMAIL, "status": "PENDING"}
    change |= {"status_changes-TOTAL_FORMS": "0", "status_changes-INITIAL_FORMS": "0"}
    attorney_client.post(f"/admin/leads/lead/{resubmitted_lead.pk}/change/", change)
    assert LogEntry.objects.filter(action_flag=2).exists()  # the change was logged
    needles = [*needles_for(resubmitted_lead), "Augusta"]

    admin_client.post(f"/admin/leads/lead/{resubmitted_lead.pk}/delete/", {"post": "yes"})
    run_worker()

    assert rows_mentioning(*needles) == {}


def test_the_admin_log_keeps_who_deleted_a_lead_but_not_which(resubmitted_lead, admin_client, admin_user):
    admin_client.post(f"/admin/leads/lead/{resubmitted_lead.pk}/delete/", {"post": "yes"})

    entry = LogEntry.objects.get(action_flag=3)
    assert (entry.user, entry.object_id, entry.object_repr, entry.change_message) == (
        admin_user,
        None,
        "deleted lead",
        "",
    )


def test_a_lead_as_the_admin_names_it_carries_nothing_personal(resubmitted_lead):
    text = str(resubmitted_lead)

    assert "Ada" not in text and "Lovelace" not in text and EMAIL not in text


def test_a_resubmission_still_waiting_for_the_worker_goes_with_its_lead(client, integration_client, settings):
    apply(client)
    run_worker()
    lead = Lead.objects.get()
    apply(client)  # stored, queued, not yet processed
    assert len(stored_files(settings.MEDIA_ROOT)) == 2

    integration_client.delete(f"/api/v1/leads/{lead.pk}/")
    run_worker()

    assert stored_files(settings.MEDIA_ROOT) == []
    assert rows_mentioning(*needles_for(lead)) == {}


def test_a_resubmission_waiting_under_the_address_a_lead_had_goes_with_it(
    client, integration_client, settings
):
    apply(client, email="ada.old@example.com")
    run_worker()
    lead = Lead.objects.get()
    apply(client, email="ada.old@example.com")  # stored, queued, not yet processed
    integration_client.patch(f"/api/v1/leads/{lead.pk}/", {"email": EMAIL}, format="json")

    integration_client.delete(f"/api/v1/leads/{lead.pk}/")
    run_worker()

    assert stored_files(settings.MEDIA_ROOT) == []
    assert rows_mentioning("ada.old@example.com", str(lead.pk)) == {}
