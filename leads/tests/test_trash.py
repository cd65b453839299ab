"""The trash: a deleted lead leaves every read at once, comes back exactly as it was, and is
erased after LEAD_TRASH_DAYS by the worker (or at once by a superuser, erase_prospect or a
new submission under its address)."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from conftest import token_client
from leads import selectors, services
from leads.models import Delivery, Lead, LeadEvent, StatusChange
from leads.tests.factories import MINIMAL_PDF, LeadFactory
from leads.tests.mail import run_worker
from leads.worker.fanout import process_application
from leads.worker.queued import APPLICATION_TASK

pytestmark = pytest.mark.django_db

TRASH_URL = "/admin/leads/trashedlead/"


def trash(lead: Lead, by=None) -> None:
    services.trash_leads(leads=Lead.objects.filter(pk=lead.pk), by=by)


def resume() -> SimpleUploadedFile:
    return SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")


def test_a_trashed_lead_is_in_no_list_count_or_stats(attorney):
    kept, trashed = LeadFactory(), LeadFactory()

    trash(trashed, by=attorney)

    assert list(Lead.objects.all()) == [kept]
    assert Lead.objects.count_by_status()["PENDING"] == 1
    assert selectors.lead_stats()["total"] == 1
    assert list(Lead.trash.all()) == [trashed]


def test_the_api_answers_404_for_a_trashed_lead(integration):
    lead = LeadFactory()
    client = token_client(integration)

    assert client.delete(f"/api/v1/leads/{lead.pk}/").status_code == 204

    assert client.get(f"/api/v1/leads/{lead.pk}/").status_code == 404
    assert client.get("/api/v1/leads/").json()["count"] == 0
    assert Lead.trash.filter(pk=lead.pk, deleted_by=integration).exists()


def test_the_admin_list_search_and_export_leave_the_trash_out(attorney_client):
    lead = LeadFactory(first_name="Trashed")
    trash(lead)

    listing = attorney_client.get("/admin/leads/lead/", {"q": "Trashed", "state": "all"}).content.decode()
    export = b"".join(attorney_client.get("/admin/leads/lead/export/", {"state": "all"}).streaming_content)

    assert str(lead.pk) not in listing
    assert b"Trashed" not in export


def test_a_trashed_leads_deliveries_leave_the_deliveries_list_and_their_pages(attorney_client):
    kept, trashed = LeadFactory(first_name="Kept"), LeadFactory(first_name="Trashed")
    deliveries = {
        lead.first_name: Delivery.objects.create(
            lead=lead, kind=Delivery.Kind.CONFIRMATION, recipient=lead.email, status=Delivery.Status.SENT
        )
        for lead in (kept, trashed)
    }
    trash(trashed)

    listing = attorney_client.get("/admin/leads/delivery/").content.decode()
    page = attorney_client.get(f"/admin/leads/delivery/{deliveries['Trashed'].pk}/change/")

    assert "Kept" in listing and "Trashed" not in listing
    assert page.status_code == 302  # the admin's answer for an object it does not have


def test_a_trashed_lead_page_is_not_shown_in_the_admin(attorney_client):
    lead = LeadFactory(first_name="Trashed")
    trash(lead)

    response = attorney_client.get(f"/admin/leads/lead/{lead.pk}/change/", follow=True)

    assert "Trashed" not in response.content.decode()


def test_deleting_in_the_admin_moves_the_lead_to_the_trash(admin_client, admin_user):
    lead = LeadFactory()

    admin_client.post(f"/admin/leads/lead/{lead.pk}/delete/", {"post": "yes"})

    trashed = Lead.trash.get(pk=lead.pk)
    assert trashed.deleted_by == admin_user
    assert Path(trashed.resume.path).exists()


def test_restoring_brings_the_lead_back_exactly_as_it_was(attorney):
    lead = LeadFactory()
    services.close_lead(lead=lead, outcome="DECLINED", by=attorney, reason="Conflict")
    trash(lead, by=attorney)

    restored = services.restore_leads(leads=Lead.trash.filter(pk=lead.pk), by=attorney)

    assert restored == 1
    back = Lead.objects.get(pk=lead.pk)
    assert (back.status, back.outcome_reason, back.deleted_at) == ("DECLINED", "Conflict", None)
    assert StatusChange.objects.filter(lead=lead).count() == 1


def test_deleting_and_restoring_are_on_the_timeline(attorney):
    lead = LeadFactory()
    trash(lead, by=attorney)
    services.restore_leads(leads=Lead.trash.filter(pk=lead.pk), by=attorney)

    types = [event.type for event in selectors.timeline(lead).events]

    assert types[-2:] == ["deleted", "restored"]


def test_trashing_cancels_the_queued_emails(attorney):
    lead = LeadFactory()
    Delivery.objects.create(
        lead=lead, kind=Delivery.Kind.CONFIRMATION, channel=Delivery.Channel.EMAIL, recipient=lead.email
    )

    trash(lead, by=attorney)

    assert not Delivery.objects.filter(lead=lead, status=Delivery.Status.QUEUED).exists()


def test_a_trashed_lead_cannot_be_closed_through_the_api(attorney):
    lead = LeadFactory()
    trash(lead)

    response = token_client(attorney).post(
        f"/api/v1/leads/{lead.pk}/close/", {"outcome": "RETAINED"}, format="json"
    )

    assert response.status_code == 404


def test_a_new_api_submission_for_a_trashed_address_erases_it_and_starts_afresh(integration):
    old = LeadFactory(email="ada@example.com")
    trash(old)

    response = token_client(integration).post(
        "/api/v1/leads/",
        {"first_name": "Ada", "last_name": "L", "email": "ADA@example.com", "resume": resume()},
    )

    assert response.status_code == 201
    assert not Lead.all_objects.filter(pk=old.pk).exists()
    assert Lead.objects.get().pk != old.pk


@pytest.mark.django_db(transaction=True)
def test_a_new_form_submission_for_a_trashed_address_starts_afresh(client, settings):
    settings.INTAKE_RATE = "100/minute"
    old = LeadFactory(email="ada@example.com", first_name="Old")
    trash(old)
    old_file = Path(Lead.trash.get().resume.path)

    response = client.post(
        "/", {"first_name": "Ada", "last_name": "L", "email": "ADA@example.com", "resume": resume()}
    )
    run_worker()

    assert response.status_code == 303
    assert not Lead.all_objects.filter(pk=old.pk).exists()
    new = Lead.objects.get()
    assert (new.first_name, new.email, new.status) == ("Ada", "ADA@example.com", Lead.Status.PENDING)
    assert Path(new.resume.path).read_bytes() == MINIMAL_PDF
    assert not old_file.exists()


@pytest.mark.django_db(transaction=True)
def test_a_restore_after_the_address_was_submitted_again_on_the_form_finds_nothing(
    client, attorney, settings
):
    settings.INTAKE_RATE = "100/minute"
    old = LeadFactory(email="ada@example.com")
    trash(old)
    client.post("/", {"first_name": "Ada", "last_name": "L", "email": "ada@example.com", "resume": resume()})

    restored = services.restore_leads(leads=Lead.all_objects.filter(pk=old.pk), by=attorney)
    run_worker()

    assert restored == 0
    assert not Lead.all_objects.filter(pk=old.pk).exists()
    assert Lead.objects.get().first_name == "Ada"


@pytest.mark.django_db(transaction=True)
def test_the_trash_purge_keeps_a_submission_made_since_and_the_worker_then_makes_its_lead(client, settings):
    settings.INTAKE_RATE = "100/minute"
    old = LeadFactory(email="ada@example.com")
    trash(old)
    Lead.trash.update(deleted_at=old.created_at - timedelta(days=31))
    client.post("/", {"first_name": "Ada", "last_name": "L", "email": "ada@example.com", "resume": resume()})

    assert services.purge_trash() == 1
    run_worker()

    new = Lead.objects.get()
    assert new.pk != old.pk and new.first_name == "Ada"
    assert Path(new.resume.path).read_bytes() == MINIMAL_PDF


@pytest.mark.django_db(transaction=True)
def test_a_submission_sent_before_its_lead_went_to_the_trash_is_not_a_new_start(client, settings):
    settings.INTAKE_RATE = "100/minute"
    old = LeadFactory(email="ada@example.com")
    client.post("/", {"first_name": "Ada", "last_name": "L", "email": "ada@example.com", "resume": resume()})
    trash(old)  # after the resubmission was sent, before the worker came to it

    run_worker()

    assert Lead.trash.get().pk == old.pk
    assert not Lead.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_lead_trashed_before_its_fan_out_keeps_its_resume_for_a_restore(client, attorney, settings):
    settings.INTAKE_RATE = "100/minute"
    client.post("/", {"first_name": "Ada", "last_name": "L", "email": "ada@example.com", "resume": resume()})
    lead = Lead.objects.get()
    trash(lead)

    run_worker()
    services.restore_leads(leads=Lead.trash.all(), by=attorney)

    assert Path(Lead.objects.get().resume.path).read_bytes() == MINIMAL_PDF


@pytest.mark.django_db(transaction=True)
def test_two_form_submissions_for_a_trashed_address_make_one_lead_and_a_resubmission(client, settings):
    settings.INTAKE_RATE = "100/minute"
    trash(LeadFactory(email="ada@example.com"))
    for first_name in ("Ada", "Augusta"):
        client.post(
            "/", {"first_name": first_name, "last_name": "L", "email": "ada@example.com", "resume": resume()}
        )

    run_worker()

    lead = Lead.objects.get()
    assert lead.first_name == "Ada"
    assert lead.resubmissions.count() == 1


def test_the_queue_names_the_submission_task_by_its_path():
    assert process_application.module_path == APPLICATION_TASK


@pytest.mark.django_db(transaction=True)
def test_the_worker_erases_leads_whose_trash_days_are_over(settings):
    settings.LEAD_TRASH_DAYS = 30
    old, recent = LeadFactory(), LeadFactory()
    trash(old)
    trash(recent)
    Lead.trash.filter(pk=old.pk).update(deleted_at=old.created_at - timedelta(days=31))
    path = Path(Lead.trash.get(pk=old.pk).resume.path)

    run_worker()  # its periodic pass, then the file removal it queued
    run_worker()

    assert not Lead.all_objects.filter(pk=old.pk).exists()
    assert Lead.trash.filter(pk=recent.pk).exists()
    assert not path.exists()


def test_erase_prospect_does_not_wait_for_the_trash():
    lead = LeadFactory(email="ada@example.com")
    trash(lead)

    call_command("erase_prospect", "ada@example.com", stdout=StringIO())

    assert not Lead.all_objects.filter(pk=lead.pk).exists()


def test_purge_leads_takes_trashed_leads_too():
    lead = LeadFactory()
    trash(lead)
    Lead.all_objects.filter(pk=lead.pk).update(created_at=lead.created_at - timedelta(days=400))

    call_command("purge_leads", "--older-than", "365", stdout=StringIO())

    assert not Lead.all_objects.filter(pk=lead.pk).exists()


def test_trash_lists_deleted_leads_for_staff_with_delete_lead(admin_client):
    lead = LeadFactory(first_name="Gone")
    trash(lead)

    body = admin_client.get(TRASH_URL).content.decode()

    assert "Gone" in body
    assert "erased on" in body.lower()


def test_attorneys_without_delete_lead_do_not_see_the_trash(attorney_client):
    assert attorney_client.get(TRASH_URL).status_code == 403


def test_the_trash_restores_through_its_action(admin_client):
    lead = LeadFactory()
    trash(lead)

    admin_client.post(
        TRASH_URL, {"action": "restore_selected", "_selected_action": [str(lead.pk)], "index": "0"}
    )

    assert Lead.objects.filter(pk=lead.pk).exists()
    assert LeadEvent.objects.filter(lead=lead, type="restored").exists()


def test_superusers_delete_permanently_from_the_trash(admin_client):
    lead = LeadFactory()
    trash(lead)

    admin_client.post(
        TRASH_URL, {"action": "delete_permanently", "_selected_action": [str(lead.pk)], "index": "0"}
    )

    assert not Lead.all_objects.filter(pk=lead.pk).exists()


def test_staff_who_are_not_superusers_cannot_delete_permanently(client, attorney):
    attorney.user_permissions.add(Permission.objects.get(codename="delete_lead"))
    client.force_login(attorney)
    lead = LeadFactory()
    trash(lead)

    client.post(TRASH_URL, {"action": "delete_permanently", "_selected_action": [str(lead.pk)], "index": "0"})

    assert Lead.trash.filter(pk=lead.pk).exists()


def test_trashing_queues_one_lead_deleted_event_for_subscribers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    services.create_webhook_endpoint(
        url="https://127.0.0.1/hook", events=["lead.deleted", "lead.restored"], by=None
    )
    leads = LeadFactory.create_batch(2)

    services.trash_leads(leads=Lead.objects.filter(pk__in=[lead.pk for lead in leads]), by=None)
    services.restore_leads(leads=Lead.trash.all(), by=None)

    events = [
        row["args"][0]
        for row in DBTaskResult.objects.filter(task_path="leads.worker.fanout.handle_event").values_list(
            "args_kwargs", flat=True
        )
    ]
    assert sorted(events) == ["lead.deleted", "lead.restored"]


def test_the_delete_confirmation_says_the_lead_goes_to_the_trash(admin_client):
    lead = LeadFactory(first_name="Grace", last_name="Hopper")

    body = admin_client.get(f"/admin/leads/lead/{lead.pk}/delete/").content.decode()

    assert "Move Grace Hopper\u2019s lead to the trash?" in body
    assert "restored from the Trash for 30 days" in body


def test_the_bulk_delete_confirmation_says_the_leads_go_to_the_trash(admin_client):
    leads = LeadFactory.create_batch(2)

    response = admin_client.post(
        "/admin/leads/lead/",
        {"action": "delete_selected", "_selected_action": [str(lead.pk) for lead in leads], "index": "0"},
    )

    assert "Move the 2 selected leads to the trash?" in response.content.decode()


def test_a_search_for_a_trashed_leads_whole_address_finds_nothing(integration, attorney_client):
    lead = LeadFactory(email="gone@example.com")
    trash(lead)

    api = token_client(integration).get("/api/v1/leads/", {"search": "Gone@Example.com"}).json()
    admin = attorney_client.get("/admin/leads/lead/", {"q": "gone@example.com", "state": "all"})

    assert api["count"] == 0
    assert str(lead.pk) not in admin.content.decode()


def test_a_whole_address_search_still_finds_the_live_lead_beside_a_trashed_one(integration):
    trash(LeadFactory(email="old@example.com"))
    live = LeadFactory(email="someone.old@example.com")

    found = token_client(integration).get("/api/v1/leads/", {"search": "old@example.com"}).json()

    assert [row["id"] for row in found["results"]] == [str(live.pk)]
