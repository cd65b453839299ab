"""A lead's timeline through the API: GET /api/v1/leads/{id}/timeline/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AttorneyFactory
from leads import services
from leads.models import Lead, Note, Resubmission
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def url(lead) -> str:
    return f"/api/v1/leads/{lead.pk}/timeline/"


def test_the_timeline_lists_events_oldest_first_with_who_and_what(attorney_api_client, attorney):
    bob = AttorneyFactory(username="bob")
    lead = LeadFactory(created_at=timezone.now() - timedelta(hours=1), source="newsletter")
    services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=bob, by=attorney)
    services.add_note(lead=lead, author=attorney, body="Called.")
    services.change_status(leads=Lead.objects.filter(pk=lead.pk), status="REACHED_OUT", by=bob)

    events = attorney_api_client.get(url(lead)).json()

    assert [(e["type"], e["by"]) for e in events] == [
        ("submitted", None),
        ("assigned", attorney.username),
        ("note", attorney.username),
        ("status_changed", "bob"),
    ]
    assert events[0]["detail"] == {"source": "newsletter", "referrer": ""}
    assert events[1]["detail"] == {"from": None, "to": "bob"}
    assert events[2]["detail"]["body"] == "Called."
    assert events[3]["detail"] == {"from": "PENDING", "to": "REACHED_OUT"}
    times = [e["at"] for e in events]
    assert times == sorted(times)


def test_a_resubmission_carries_the_url_of_its_resume(attorney_api_client):
    lead = LeadFactory()
    resubmission = Resubmission.objects.create(lead=lead, resume="resumes/again.pdf")

    [_, event] = attorney_api_client.get(url(lead)).json()

    assert event["type"] == "resubmitted"
    assert event["detail"]["resume_url"] == (
        f"http://testserver/api/v1/leads/{lead.pk}/resume/?resubmission={resubmission.pk}"
    )


def test_the_whole_history_comes_in_a_bounded_number_of_queries(
    attorney_api_client, attorney, django_assert_max_num_queries
):
    lead = LeadFactory(created_at=timezone.now() - timedelta(days=1))
    Note.objects.bulk_create(Note(lead=lead, author=attorney, body=f"note {n}") for n in range(300))

    # token + user, permissions, the lead, the timeline (every kind of event in one query): 4.
    with django_assert_max_num_queries(4):
        events = attorney_api_client.get(url(lead)).json()

    assert len(events) == 301


def test_without_view_lead_the_timeline_is_403(no_perms_client):
    assert no_perms_client.get(url(LeadFactory())).status_code == 403


def test_the_timeline_of_an_unknown_lead_is_404(attorney_api_client):
    assert attorney_api_client.get("/api/v1/leads/not-a-uuid/timeline/").status_code == 404


def test_a_lead_made_through_the_api_was_submitted_by_its_integration(integration_client, integration, pdf):
    created = integration_client.post(
        "/api/v1/leads/",
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "resume": pdf},
        format="multipart",
    ).json()

    events = integration_client.get(f"/api/v1/leads/{created['id']}/timeline/").json()

    assert (events[0]["type"], events[0]["by"]) == ("submitted", integration.username)


def test_a_lead_from_the_public_form_was_submitted_by_nobody(attorney_api_client):
    lead = LeadFactory()

    events = attorney_api_client.get(url(lead)).json()

    assert (events[0]["type"], events[0]["by"]) == ("submitted", None)
