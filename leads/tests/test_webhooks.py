"""Every event reaches a real receiver on loopback, signed by the Standard Webhooks scheme, as
a delivery with retries; real worker runs (`manage.py db_worker --batch`).

The receiver is on 127.0.0.1, so these tests set WEBHOOK_ALLOW_PRIVATE_NETWORKS (as an
on-premise firm would); what that flag keeps out is tested with it off.
"""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from leads import services
from leads.models import Delivery, Lead, WebhookEndpoint
from leads.tests.factories import MINIMAL_PDF, LeadFactory
from leads.tests.mail import run_worker
from leads.tests.receiver import Receiver
from leads.worker import fanout

pytestmark = pytest.mark.django_db(transaction=True)

ALL_EVENTS = WebhookEndpoint.Event.values


@pytest.fixture
def webhook_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    settings.SITE_URL = "https://intake.example"
    settings.INTAKE_RATE = "100/minute"
    settings.ATTORNEY_NOTIFY_EMAILS = ["desk@firm.example"]
    return settings


@pytest.fixture
def receiver(webhook_settings):
    with Receiver() as receiver:
        yield receiver


def subscribe(receiver: Receiver, events=ALL_EVENTS) -> WebhookEndpoint:
    return services.create_webhook_endpoint(url=receiver.url, events=list(events), by=None)


def resume() -> SimpleUploadedFile:
    return SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")


def apply(client, email: str = "jane@example.com"):
    data = {"first_name": "Jane", "last_name": "Doe", "email": email, "resume": resume()}
    response = client.post("/", data)
    assert response.status_code == 303
    return response


def verified(receiver: Receiver, endpoint: WebhookEndpoint) -> list[dict]:
    """Every body the receiver got, each accepted by the standardwebhooks library."""
    return [call.verified(endpoint.secret) for call in receiver.calls]


def webhook_deliveries():
    return Delivery.objects.filter(channel=Delivery.Channel.WEBHOOK)


def make_due_now() -> None:
    """Skip the backoff: every deferred attempt is due."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


# --- every event -----------------------------------------------------------------------


def test_a_lead_from_the_form_is_posted_as_lead_created_with_a_valid_signature(client, receiver):
    endpoint = subscribe(receiver)
    apply(client)

    run_worker()

    [body] = verified(receiver, endpoint)
    lead = Lead.objects.get()
    assert body["type"] == "lead.created"
    assert body["data"]["id"] == str(lead.pk) and body["data"]["email"] == "jane@example.com"
    assert receiver.calls[0].path == "/hooks/leads?source=intake"


def test_a_lead_from_the_api_is_posted_as_lead_created(integration_client, receiver):
    endpoint = subscribe(receiver)
    data = {"first_name": "Jane", "last_name": "Doe", "email": "jane@example.com", "resume": resume()}
    created = integration_client.post("/api/v1/leads/", data, format="multipart").json()

    run_worker()

    [body] = verified(receiver, endpoint)
    assert (body["type"], body["data"]["id"]) == ("lead.created", created["id"])


def test_a_second_application_from_the_form_is_posted_as_lead_resubmitted(client, receiver):
    endpoint = subscribe(receiver)
    apply(client)
    run_worker()

    apply(client, email="JANE@example.com")
    run_worker()

    bodies = verified(receiver, endpoint)
    assert [body["type"] for body in bodies] == ["lead.created", "lead.resubmitted"]
    assert bodies[1]["data"]["id"] == str(Lead.objects.get().pk)


def reached_out_body(client, receiver: Receiver) -> tuple[Lead, dict]:
    """Reach out to a new lead through the API; the one lead.reached_out body received."""
    endpoint = subscribe(receiver, ["lead.reached_out"])
    lead = LeadFactory()
    client.post(f"/api/v1/leads/{lead.pk}/reach-out/")
    run_worker()
    [body] = verified(receiver, endpoint)
    return lead, body


def test_reaching_out_through_the_api_is_posted_as_lead_reached_out(integration_client, receiver):
    _, body = reached_out_body(integration_client, receiver)

    assert body["type"] == "lead.reached_out"
    assert body["data"]["status"] == "REACHED_OUT"
    assert body["data"]["reached_out_by"] == "integration"


def test_reaching_out_again_posts_nothing_more(integration_client, receiver):
    subscribe(receiver, ["lead.reached_out"])
    lead = LeadFactory()
    integration_client.post(f"/api/v1/leads/{lead.pk}/reach-out/")

    integration_client.post(f"/api/v1/leads/{lead.pk}/reach-out/")
    integration_client.patch(f"/api/v1/leads/{lead.pk}/", {"status": "REACHED_OUT"}, format="json")
    run_worker()

    assert len(receiver.calls) == 1


def test_an_assignment_event_is_posted_as_lead_assigned(receiver):
    # services.assign_leads comes with the attorneys' branch; it emits exactly this.
    endpoint = subscribe(receiver, ["lead.assigned"])
    lead = LeadFactory()

    with transaction.atomic():
        fanout.emit(WebhookEndpoint.Event.LEAD_ASSIGNED, [lead.pk], {"assigned_by": None})
    run_worker()

    [body] = verified(receiver, endpoint)
    assert (body["type"], body["data"]["id"]) == ("lead.assigned", str(lead.pk))


def test_deleting_a_lead_posts_lead_deleted_with_only_its_id(integration_client, receiver):
    endpoint = subscribe(receiver, ["lead.deleted"])
    lead = LeadFactory()

    assert integration_client.delete(f"/api/v1/leads/{lead.pk}/").status_code == 204
    run_worker()

    [body] = verified(receiver, endpoint)
    assert body["type"] == "lead.deleted"
    assert body["data"] == {"id": str(lead.pk)}
    delivery = webhook_deliveries().get()
    assert delivery.lead is None and delivery.status == Delivery.Status.SENT


def test_calls_queued_about_a_lead_go_with_it_when_it_is_deleted(client, webhook_settings):
    with Receiver(answers=(500,)) as flaky:
        endpoint = subscribe(flaky)
        apply(client)
        run_worker()  # lead.created failed once: queued again, its body holds the lead
        assert webhook_deliveries().get().payload["data"]["email"] == "jane@example.com"

        services.delete_leads(leads=Lead.objects.all())
        run_worker()

    [delivery] = webhook_deliveries()
    assert delivery.kind == "lead.deleted" and delivery.status == "sent"
    assert set(delivery.payload["data"]) == {"id"}
    assert [call.verified(endpoint.secret)["type"] for call in flaky.calls] == [
        "lead.created",
        "lead.deleted",
    ]


# --- what a subscription receives ------------------------------------------------------


def test_the_body_shows_the_lead_as_the_api_does_with_absolute_urls(integration_client, receiver):
    lead, body = reached_out_body(integration_client, receiver)

    shown = integration_client.get(f"/api/v1/leads/{lead.pk}/").json()
    assert body["data"] == {**shown, "resume_url": f"https://intake.example/api/v1/leads/{lead.pk}/resume/"}
    assert set(body) == {"type", "timestamp", "data"}
    assert body["timestamp"].endswith("Z")


def test_the_call_carries_the_standard_webhooks_headers_with_the_delivery_as_its_id(client, receiver):
    subscribe(receiver)
    apply(client)
    run_worker()

    [call] = receiver.calls
    delivery = webhook_deliveries().get()
    assert call.headers["webhook-id"] == str(delivery.pk)
    assert call.headers["webhook-signature"].startswith("v1,")
    assert abs(int(call.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert call.headers["Content-Type"] == "application/json"


def test_a_call_signed_with_another_secret_fails_verification(client, receiver):
    from standardwebhooks import WebhookVerificationError

    from leads.worker.webhooks import generate_secret

    subscribe(receiver)
    apply(client)
    run_worker()

    with pytest.raises(WebhookVerificationError):
        receiver.calls[0].verified(generate_secret())


def test_a_subscription_gets_only_the_events_it_names(client, integration_client, receiver):
    endpoint = subscribe(receiver, ["lead.reached_out"])
    apply(client)
    run_worker()

    integration_client.post(f"/api/v1/leads/{Lead.objects.get().pk}/reach-out/")
    run_worker()

    assert [body["type"] for body in verified(receiver, endpoint)] == ["lead.reached_out"]


def test_an_inactive_subscription_gets_nothing(client, receiver):
    endpoint = subscribe(receiver)
    services.update_webhook_endpoint(endpoint=endpoint, is_active=False)

    apply(client)
    run_worker()

    assert receiver.calls == [] and not webhook_deliveries().exists()


def test_each_subscription_gets_its_own_signed_call(client, webhook_settings):
    with Receiver() as first, Receiver() as second:
        endpoints = [subscribe(first), subscribe(second)]
        apply(client)
        run_worker()

    assert verified(first, endpoints[0])[0]["type"] == "lead.created"
    assert verified(second, endpoints[1])[0]["type"] == "lead.created"
    assert first.calls[0].headers["webhook-id"] != second.calls[0].headers["webhook-id"]


def test_a_status_change_that_rolls_back_queues_no_event(receiver, attorney):
    subscribe(receiver)
    lead = LeadFactory()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.change_status(
            leads=Lead.objects.filter(pk=lead.pk), status=Lead.Status.REACHED_OUT, by=attorney
        )
        raise RuntimeError("the request failed after the change")

    assert not DBTaskResult.objects.filter(task_path="leads.worker.fanout.handle_event").exists()


# --- failures and retries --------------------------------------------------------------


def test_after_a_500_the_call_is_retried_and_succeeds_once_the_receiver_recovers(client, webhook_settings):
    with Receiver(answers=(500,)) as flaky:
        endpoint = subscribe(flaky)
        apply(client)
        run_worker()

        delivery = webhook_deliveries().get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("queued", 1, 500)
        assert delivery.last_error == "HTTP 500 Answer"
        assert delivery.next_attempt_at > timezone.now()

        make_due_now()
        run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 2, 204)
    assert delivery.last_error == "" and delivery.sent_at is not None
    first, second = flaky.calls
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == str(delivery.pk)
    assert first.verified(endpoint.secret) == second.verified(endpoint.secret)


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(client, webhook_settings):
    webhook_settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with Receiver(hold=True) as silent:
        subscribe(silent)
        apply(client)
        run_worker()

    delivery = webhook_deliveries().get()
    assert (delivery.status, delivery.attempts) == ("queued", 1)
    assert delivery.last_error == "No answer within 1 s." and delivery.last_status_code is None


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_timeout(client, webhook_settings):
    webhook_settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with Receiver(drip=True) as dripping:
        subscribe(dripping)
        apply(client)
        started = timezone.now()
        run_worker()
        finished = timezone.now()

    delivery = webhook_deliveries().get()
    assert delivery.last_error == "No answer within 1 s."
    # The answer takes six seconds to drip; the attempt ended well before it would have.
    assert finished - started < timedelta(seconds=5)


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(client, webhook_settings):
    with Receiver() as elsewhere, Receiver(answers=(307,), location=elsewhere.url) as redirecting:
        subscribe(redirecting)
        apply(client)
        run_worker()

    delivery = webhook_deliveries().get()
    assert delivery.last_status_code == 307
    assert delivery.last_error == "HTTP 307 Answer (redirects are not followed)"
    assert elsewhere.calls == []


def test_a_receiver_that_is_down_is_a_failed_attempt_with_the_reason(client, webhook_settings):
    with Receiver() as gone:
        subscribe(gone)
    apply(client)

    run_worker()

    delivery = webhook_deliveries().get()
    assert delivery.status == "queued"
    assert delivery.last_error.startswith("Connection failed: ConnectionRefusedError")


def test_calls_give_up_after_the_last_attempt(client, webhook_settings):
    webhook_settings.WEBHOOK_MAX_ATTEMPTS = 3
    webhook_settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    with Receiver(answers=(503, 503, 503, 503)) as down:
        subscribe(down)
        apply(client)
        run_worker()  # with no backoff, all three attempts run now

    delivery = webhook_deliveries().get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 503)
    assert len(down.calls) == 3


def test_queued_calls_of_a_deleted_subscription_fail_without_being_sent(client, webhook_settings):
    with Receiver(answers=(500,)) as flaky:
        endpoint = subscribe(flaky)
        apply(client)
        run_worker()
        services.delete_webhook_endpoints(endpoints=WebhookEndpoint.objects.filter(pk=endpoint.pk))

        make_due_now()
        run_worker()

    delivery = webhook_deliveries().get()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.last_error == "Not sent: the subscription was deleted."
    assert len(flaky.calls) == 1


# --- the private-networks flag ---------------------------------------------------------


def test_a_host_resolving_to_loopback_is_refused_at_send_time(client, receiver, webhook_settings):
    # Subscribed while allowed (or pointed at loopback since): refused when the call is made.
    endpoint = services.create_webhook_endpoint(
        url=receiver.url.replace("http://127.0.0.1", "https://localhost"), events=ALL_EVENTS, by=None
    )
    webhook_settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    apply(client)

    run_worker()

    delivery = webhook_deliveries().get()
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert delivery.last_error.startswith("Not sent: localhost resolves to an address that is not public")
    assert delivery.endpoint == endpoint and receiver.calls == []


# --- bulk actions ----------------------------------------------------------------------


def test_reaching_out_to_many_leads_queues_one_task_and_the_worker_one_call_each(
    attorney_client, receiver, django_assert_max_num_queries
):
    subscribe(receiver, ["lead.reached_out"])
    leads = LeadFactory.create_batch(60)
    selected = {"action": "mark_reached_out", "_selected_action": [str(lead.pk) for lead in leads]}

    # Session, user, 2 permission reads, 2 counts; then one transaction (begin, savepoint,
    # release, commit): the lock, the UPDATE, the history rows, the conversion report's mark
    # of their days (one INSERT … SELECT), the ONE task. None per lead.
    with django_assert_max_num_queries(16):
        attorney_client.post("/admin/leads/lead/", selected)

    assert DBTaskResult.objects.filter(task_path="leads.worker.fanout.handle_event").count() == 1
    run_worker()
    assert {call.verified(WebhookEndpoint.objects.get().secret)["data"]["id"] for call in receiver.calls} == {
        str(lead.pk) for lead in leads
    }
