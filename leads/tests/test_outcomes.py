"""Outcomes: closing a lead (with its reason), reopening it, the non-engagement letter, and
the events that follow; through the services, the API and a real worker and SMTP server."""

import threading
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from conftest import token_client
from leads import services
from leads.models import Delivery, Lead, LetterTemplate, StatusChange
from leads.tests.factories import LeadFactory
from leads.tests.mail import bodies, run_worker
from leads.tests.receiver import Receiver


@pytest.fixture
def attorney_api_client(attorney):
    return token_client(attorney)


def close_url(lead):
    return f"/api/v1/leads/{lead.pk}/close/"


def events_queued(event: str) -> int:
    return sum(
        1
        for args in DBTaskResult.objects.filter(task_path="leads.worker.fanout.handle_event").values_list(
            "args_kwargs", flat=True
        )
        if args["args"][0] == event
    )


@pytest.mark.django_db
def test_closing_as_declined_records_the_outcome_and_one_history_row(attorney):
    lead = LeadFactory(status=Lead.Status.REACHED_OUT)

    services.close_lead(lead=lead, outcome="DECLINED", by=attorney, reason="Conflict of interest")

    lead.refresh_from_db()
    assert (lead.status, lead.closed_by, lead.outcome_reason) == (
        "DECLINED",
        attorney,
        "Conflict of interest",
    )
    assert lead.closed_at is not None
    [change] = StatusChange.objects.filter(lead=lead)
    assert (change.from_status, change.to_status, change.reason) == (
        "REACHED_OUT",
        "DECLINED",
        "Conflict of interest",
    )


@pytest.mark.django_db
def test_declining_without_a_reason_is_refused_on_reason(attorney):
    lead = LeadFactory()

    with pytest.raises(ValidationError) as caught:
        services.close_lead(lead=lead, outcome="DECLINED", by=attorney)

    assert "reason" in caught.value.message_dict
    lead.refresh_from_db()
    assert lead.status == Lead.Status.PENDING


@pytest.mark.django_db
def test_referring_needs_to_whom(attorney):
    with pytest.raises(ValidationError) as caught:
        services.close_lead(lead=LeadFactory(), outcome="REFERRED", by=attorney, reason="Not our field")

    assert list(caught.value.message_dict) == ["referred_to"]


@pytest.mark.django_db
def test_closing_a_closed_lead_is_refused_and_keeps_the_first_outcome(attorney):
    lead = LeadFactory()
    services.close_lead(lead=lead, outcome="RETAINED", by=attorney)

    with pytest.raises(ValidationError) as caught:
        services.close_lead(lead=lead, outcome="NO_RESPONSE", by=attorney)

    assert "status" in caught.value.message_dict
    lead.refresh_from_db()
    assert lead.status == Lead.Status.RETAINED
    assert StatusChange.objects.filter(lead=lead).count() == 1


@pytest.mark.django_db
def test_reopening_returns_the_status_before_closing(attorney):
    lead = LeadFactory()
    services.reach_out(lead=lead, by=attorney)
    services.close_lead(lead=lead, outcome="NO_RESPONSE", by=attorney)

    services.reopen_lead(lead=lead, by=attorney)

    lead.refresh_from_db()
    assert (lead.status, lead.closed_at, lead.closed_by, lead.outcome_reason) == (
        "REACHED_OUT",
        None,
        None,
        "",
    )
    assert list(StatusChange.objects.filter(lead=lead).values_list("to_status", flat=True)) == [
        "REACHED_OUT",
        "NO_RESPONSE",
        "REACHED_OUT",
    ]


@pytest.mark.django_db
def test_reopening_an_open_lead_is_refused_on_status(attorney):
    with pytest.raises(ValidationError) as caught:
        services.reopen_lead(lead=LeadFactory(), by=attorney)

    assert "status" in caught.value.message_dict


@pytest.mark.django_db
def test_reaching_out_leaves_a_closed_lead_closed(attorney):
    lead = LeadFactory()
    services.close_lead(lead=lead, outcome="RETAINED", by=attorney)

    services.reach_out(lead=lead, by=attorney)

    assert lead.status == Lead.Status.RETAINED


@pytest.mark.django_db
def test_closing_and_reopening_each_queue_one_event(attorney):
    leads = LeadFactory.create_batch(3)

    services.close_leads(
        leads=Lead.objects.filter(pk__in=[lead.pk for lead in leads]), outcome="NO_RESPONSE", by=attorney
    )
    services.reopen_lead(lead=leads[0], by=attorney)

    assert events_queued("lead.closed") == 1
    assert events_queued("lead.reopened") == 1


# The API.


@pytest.mark.django_db
def test_the_api_closes_a_lead_as_referred(attorney_api_client, attorney):
    lead = LeadFactory()

    response = attorney_api_client.post(
        close_url(lead),
        {"outcome": "REFERRED", "reason": "Tax matter", "referred_to": "Ann Smith, Esq."},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["closed_by"], body["outcome_reason"]) == (
        "REFERRED",
        attorney.username,
        "Tax matter",
    )
    assert body["closed_at"] is not None


@pytest.mark.django_db
def test_the_api_refuses_a_decline_without_reason_naming_reason(attorney_api_client):
    response = attorney_api_client.post(close_url(LeadFactory()), {"outcome": "DECLINED"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["reason"]


@pytest.mark.django_db
def test_the_api_refuses_an_unknown_outcome_naming_outcome(attorney_api_client):
    response = attorney_api_client.post(close_url(LeadFactory()), {"outcome": "PENDING"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["outcome"]


@pytest.mark.django_db
def test_the_api_refuses_closing_a_closed_lead_on_status(attorney_api_client):
    lead = LeadFactory()
    attorney_api_client.post(close_url(lead), {"outcome": "RETAINED"}, format="json")

    response = attorney_api_client.post(close_url(lead), {"outcome": "RETAINED"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


@pytest.mark.django_db
def test_the_api_reopens_a_closed_lead(attorney_api_client):
    lead = LeadFactory()
    attorney_api_client.post(close_url(lead), {"outcome": "RETAINED"}, format="json")

    response = attorney_api_client.post(f"/api/v1/leads/{lead.pk}/reopen/")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["closed_at"]) == ("PENDING", None)


@pytest.mark.django_db
def test_the_api_refuses_reopening_an_open_lead(attorney_api_client):
    response = attorney_api_client.post(f"/api/v1/leads/{LeadFactory().pk}/reopen/")

    assert response.status_code == 400
    assert list(response.json()) == ["status"]


@pytest.mark.django_db
def test_closing_needs_change_lead(staff_without_view):
    staff_without_view.user_permissions.set(Permission.objects.filter(codename__in=["view_lead", "add_lead"]))

    response = token_client(staff_without_view).post(
        close_url(LeadFactory()), {"outcome": "RETAINED"}, format="json"
    )

    assert response.status_code == 403


@pytest.mark.django_db
def test_closing_an_unknown_lead_is_a_404(attorney_api_client):
    response = attorney_api_client.post(
        f"/api/v1/leads/{uuid.uuid4()}/close/", {"outcome": "RETAINED"}, format="json"
    )

    assert response.status_code == 404


@pytest.mark.django_db
def test_a_patch_to_a_closed_status_without_reason_is_a_400_on_reason(attorney_api_client):
    lead = LeadFactory()

    response = attorney_api_client.patch(f"/api/v1/leads/{lead.pk}/", {"status": "DECLINED"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["reason"]


@pytest.mark.django_db
def test_a_patch_to_an_outcome_with_reason_closes_the_lead(attorney_api_client):
    lead = LeadFactory()

    response = attorney_api_client.patch(
        f"/api/v1/leads/{lead.pk}/", {"status": "DECLINED", "reason": "Outside our practice"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["outcome_reason"]) == (
        "DECLINED",
        "Outside our practice",
    )


@pytest.mark.django_db
def test_a_patch_to_an_open_status_reopens_a_closed_lead(attorney_api_client, attorney):
    lead = LeadFactory()
    services.close_lead(lead=lead, outcome="RETAINED", by=attorney)

    response = attorney_api_client.patch(
        f"/api/v1/leads/{lead.pk}/", {"status": "REACHED_OUT"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "REACHED_OUT"


@pytest.mark.django_db
def test_the_list_filters_open_and_closed_leads(attorney_api_client, attorney):
    open_lead, closed_lead = LeadFactory(), LeadFactory()
    services.close_lead(lead=closed_lead, outcome="RETAINED", by=attorney)

    opened = attorney_api_client.get("/api/v1/leads/?open=true").json()["results"]
    closed = attorney_api_client.get("/api/v1/leads/?open=false").json()["results"]

    assert [row["id"] for row in opened] == [str(open_lead.pk)]
    assert [row["id"] for row in closed] == [str(closed_lead.pk)]


@pytest.mark.django_db
def test_the_timeline_shows_the_closing_with_its_reason(attorney_api_client, attorney):
    lead = LeadFactory()
    services.close_lead(lead=lead, outcome="DECLINED", by=attorney, reason="Conflict")

    events = attorney_api_client.get(f"/api/v1/leads/{lead.pk}/timeline/").json()

    [closing] = [event for event in events if event["type"] == "status_changed"]
    assert closing["detail"] == {"from": "PENDING", "to": "DECLINED", "reason": "Conflict", "referred_to": ""}
    assert closing["by"] == attorney.username


# The letter, through a real worker and SMTP server.


@pytest.mark.django_db(transaction=True)
def test_declining_with_a_letter_sends_the_default_letter_once(attorney, smtp):
    lead = LeadFactory(first_name="Jane")
    services.close_lead(lead=lead, outcome="DECLINED", by=attorney, reason="Conflict", send_letter=True)

    run_worker()
    run_worker()

    [message] = smtp.to(lead.email)
    text, html = bodies(message)
    assert "does not represent you" in text
    assert "time limits" in text
    assert "Dear Jane" in html
    assert Delivery.objects.get(lead=lead, kind=Delivery.Kind.LETTER).status == Delivery.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_a_referral_letter_uses_the_firms_template(attorney, smtp, settings):
    settings.FIRM_NAME = "Doe & Roe"
    LetterTemplate.objects.create(
        outcome="REFERRED",
        subject="About your matter, {first_name}",
        body="{firm_name} sends you to {referred_to}.",
    )
    lead = LeadFactory(first_name="Jane")
    services.close_lead(
        lead=lead, outcome="REFERRED", by=attorney, reason="Tax", referred_to="Ann Smith", send_letter=True
    )

    run_worker()

    [message] = smtp.to(lead.email)
    assert message["Subject"] == "About your matter, Jane"
    assert "Doe & Roe sends you to Ann Smith." in bodies(message)[0]


@pytest.mark.django_db(transaction=True)
def test_a_letter_past_the_daily_cap_is_a_failed_delivery_saying_so(attorney, smtp, settings):
    settings.PROSPECT_EMAILS_PER_DAY = 0
    lead = LeadFactory()
    services.close_lead(lead=lead, outcome="DECLINED", by=attorney, reason="Conflict", send_letter=True)

    run_worker()

    letter = Delivery.objects.get(lead=lead, kind=Delivery.Kind.LETTER)
    assert letter.status == Delivery.Status.FAILED
    assert "PROSPECT_EMAILS_PER_DAY" in letter.last_error
    assert smtp.to(lead.email) == []


@pytest.mark.django_db
def test_a_letter_goes_only_with_declined_or_referred(attorney):
    with pytest.raises(ValidationError) as caught:
        services.close_lead(lead=LeadFactory(), outcome="RETAINED", by=attorney, send_letter=True)

    assert list(caught.value.message_dict) == ["send_letter"]


@pytest.mark.django_db(transaction=True)
def test_a_lead_reopened_before_the_worker_gets_no_letter(attorney, smtp):
    lead = LeadFactory()
    services.close_lead(lead=lead, outcome="DECLINED", by=attorney, reason="Conflict", send_letter=True)
    services.reopen_lead(lead=lead, by=attorney)

    run_worker()

    assert not Delivery.objects.filter(lead=lead, kind=Delivery.Kind.LETTER).exists()


@pytest.mark.django_db(transaction=True)
def test_closing_and_reopening_fire_signed_webhook_calls(attorney, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.SITE_URL = "https://intake.example"
    with Receiver() as receiver:
        endpoint = services.create_webhook_endpoint(
            url=receiver.url, events=["lead.closed", "lead.reopened"], by=None
        )
        lead = LeadFactory()
        services.close_lead(lead=lead, outcome="RETAINED", by=attorney)
        run_worker()
        services.reopen_lead(lead=lead, by=attorney)
        run_worker()

        bodies_received = [call.verified(endpoint.secret) for call in receiver.calls]
    assert sorted((body["type"], body["data"]["status"]) for body in bodies_received) == [
        ("lead.closed", "RETAINED"),
        ("lead.reopened", "PENDING"),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_attorneys_closing_at_once_one_wins_with_one_history_row(attorney):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite serialises writers itself)")
    lead = LeadFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def close(outcome):
        barrier.wait()
        try:
            services.close_lead(lead=Lead.objects.get(pk=lead.pk), outcome=outcome, by=attorney)
            outcomes.append(outcome)
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=close, args=(o,)) for o in ("RETAINED", "NO_RESPONSE")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes).count("refused") == 1
    assert StatusChange.objects.filter(lead=lead).count() == 1
    lead.refresh_from_db()
    assert lead.status in outcomes


def test_the_api_list_with_open_true_shows_only_open_leads(integration_client, attorney):
    kept, closed = LeadFactory(), LeadFactory()
    services.close_lead(lead=closed, outcome="RETAINED", by=attorney)

    body = integration_client.get("/api/v1/leads/?open=true").json()

    assert [row["id"] for row in body["results"]] == [str(kept.pk)]


def test_the_api_refuses_an_open_value_that_is_not_true_or_false_naming_the_field(integration_client):
    response = integration_client.get("/api/v1/leads/?open=maybe")

    assert response.status_code == 400
    assert "open" in response.json()
