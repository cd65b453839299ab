"""Every email is a delivery people can see: the record, the failure policy, the retry.

A real SMTP server on loopback (aiosmtpd), real worker runs (`manage.py db_worker --batch`).
"""

import io
import logging
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conftest import token_client
from leads import services
from leads.models import Delivery, Lead
from leads.tests.factories import MINIMAL_PDF
from leads.tests.mail import SmtpServer, SmtpSink, run_worker
from leads.worker.failures import RetryPolicy

pytestmark = pytest.mark.django_db(transaction=True)

PROSPECT = "jane@example.com"
DESK = "desk@firm.example"


@pytest.fixture
def desk(settings):
    """Notifications go to one address, so each lead makes exactly two deliveries."""
    settings.ATTORNEY_NOTIFY_EMAILS = [DESK]


def submit(email: str = PROSPECT, **kwargs) -> Lead:
    return services.submit_lead(
        first_name="Jane",
        last_name="Doe",
        email=email,
        resume=SimpleUploadedFile("cv.pdf", MINIMAL_PDF),
        **kwargs,
    )


def check_deliveries(*args) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("check_deliveries", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, err.getvalue()
    return 0, out.getvalue()


def make_due_now() -> None:
    """Skip the backoff: every deferred attempt is due."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_each_email_of_a_new_lead_is_a_sent_delivery(smtp, desk):
    lead = submit()

    run_worker()

    rows = {(d.kind, d.recipient, d.status, d.attempts, d.last_status_code) for d in lead.deliveries.all()}
    assert rows == {
        (Delivery.Kind.CONFIRMATION, PROSPECT, Delivery.Status.SENT, 1, 250),
        (Delivery.Kind.NOTIFICATION, DESK, Delivery.Status.SENT, 1, 250),
    }
    assert all(d.sent_at is not None for d in lead.deliveries.all())


def test_a_mail_server_that_is_down_leaves_queued_deliveries_with_the_error(smtp_down, desk, settings):
    settings.EMAIL_RETRY_BASE_SECONDS = 60
    before = timezone.now()
    lead = submit()

    run_worker()

    for delivery in lead.deliveries.all():
        assert delivery.status == Delivery.Status.QUEUED
        assert delivery.attempts == 1
        assert delivery.last_error.startswith("Mail server unreachable: ConnectionRefusedError")
        assert (
            before + timedelta(seconds=60)
            <= delivery.next_attempt_at
            <= timezone.now() + timedelta(seconds=60)
        )
    retries = DBTaskResult.objects.filter(status="READY", task_path="leads.worker.deliveries.send_delivery")
    assert retries.count() == 2


def test_queued_deliveries_are_sent_once_the_mail_server_is_back(smtp_down, desk):
    lead = submit()
    run_worker()

    server = SmtpServer(port=smtp_down.port).start()
    try:
        make_due_now()
        run_worker()
    finally:
        server.stop()

    assert len(server.sink.to(PROSPECT)) == 1 and len(server.sink.to(DESK)) == 1
    assert {(d.status, d.attempts) for d in lead.deliveries.all()} == {(Delivery.Status.SENT, 2)}


def test_a_refused_recipient_fails_after_one_attempt_with_the_servers_answer(settings, desk):
    server = SmtpServer(SmtpSink(refused=(PROSPECT,))).start()
    settings.MAILERS = server.mailer()
    try:
        lead = submit()
        run_worker()
    finally:
        server.stop()

    confirmation = lead.deliveries.get(kind=Delivery.Kind.CONFIRMATION)
    assert confirmation.status == Delivery.Status.FAILED
    assert confirmation.attempts == 1
    assert confirmation.last_status_code == 550
    assert confirmation.last_error.startswith("550 5.1.1")
    assert "Recipient address rejected" in confirmation.last_error
    assert lead.deliveries.get(kind=Delivery.Kind.NOTIFICATION).status == Delivery.Status.SENT
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_a_refused_recipient_shows_in_the_admin_and_the_api(settings, desk, client, attorney):
    server = SmtpServer(SmtpSink(refused=(PROSPECT,))).start()
    settings.MAILERS = server.mailer()
    try:
        lead = submit()
        run_worker()
    finally:
        server.stop()

    client.force_login(attorney)
    page = client.get("/admin/leads/delivery/?status__exact=failed").content.decode()
    assert "550 5.1.1" in page and PROSPECT in page
    lead_page = client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    assert "Recipient address rejected" in lead_page
    body = token_client(attorney).get("/api/v1/deliveries/", {"status": "failed"}).json()
    [failed] = body["results"]
    assert failed["recipient"] == PROSPECT and failed["lead"] == str(lead.pk)
    assert failed["attempts"] == 1 and failed["last_error"].startswith("550 5.1.1")


def test_check_deliveries_fails_after_a_refusal_and_passes_after_a_retry(settings, desk, client, attorney):
    sink = SmtpSink(refused=(PROSPECT,))
    server = SmtpServer(sink).start()
    settings.MAILERS = server.mailer()
    try:
        submit()
        run_worker()
        code, said = check_deliveries()
        assert code == 1 and "1 deliveries failed in the last 24 hours" in said

        sink.refused.clear()  # the prospect's mailbox exists again
        client.force_login(attorney)
        failed = Delivery.objects.with_status(Delivery.Status.FAILED)
        response = client.post(
            "/admin/leads/delivery/",
            {"action": "retry_selected", "_selected_action": [str(d.pk) for d in failed]},
        )
        assert response.status_code == 302
        run_worker()
    finally:
        server.stop()

    assert len(sink.to(PROSPECT)) == 1
    code, said = check_deliveries()
    assert code == 0 and said.startswith("Deliveries OK")


def test_check_deliveries_fails_when_a_delivery_waits_too_long(smtp_down, desk):
    lead = submit()
    run_worker()
    lead.deliveries.update(created_at=timezone.now() - timedelta(minutes=20))

    code, said = check_deliveries("--max-age", "15")

    assert code == 1
    assert "2 deliveries queued for more than 15 minutes" in said


def test_check_deliveries_fails_when_the_worker_has_not_run_for_too_long(desk):
    submit()
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=20))

    code, said = check_deliveries()

    assert code == 1 and "background tasks waiting for more than 15 minutes" in said


def test_sending_gives_up_after_the_last_attempt(smtp_down, desk, settings):
    settings.EMAIL_MAX_ATTEMPTS = 3
    settings.EMAIL_RETRY_BASE_SECONDS = 0
    lead = submit()

    run_worker()  # with no backoff, all three attempts run now

    assert {(d.status, d.attempts) for d in lead.deliveries.all()} == {(Delivery.Status.FAILED, 3)}
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert Lead.objects.filter(pk=lead.pk, status=Lead.Status.PENDING).exists()


def test_backoff_doubles_and_is_capped():
    policy = RetryPolicy(max_attempts=10, base_seconds=30, max_seconds=3600)

    delays = [policy.delay(attempt).total_seconds() for attempt in range(1, 10)]

    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_with_nobody_to_notify_the_notification_is_a_failed_delivery(smtp):
    lead = submit()  # no attorney in the group, no ATTORNEY_NOTIFY_EMAILS

    run_worker()

    notification = lead.deliveries.get(kind=Delivery.Kind.NOTIFICATION)
    assert notification.status == Delivery.Status.FAILED
    assert notification.recipient == ""
    assert notification.last_error.startswith("Nobody to notify")
    assert check_deliveries()[0] == 1


def test_with_debug_off_and_no_mail_server_emails_fail_instead_of_being_printed(desk, capsys, settings):
    # What EMAIL_URL unset gives (the test runner itself swaps in a memory backend).
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    lead = submit()

    run_worker()

    assert {d.status for d in lead.deliveries.all()} == {Delivery.Status.FAILED}
    assert all("no mail server is configured" in d.last_error for d in lead.deliveries.all())
    printed = capsys.readouterr()
    assert PROSPECT not in printed.out + printed.err


def test_a_fault_of_ours_is_logged_without_the_recipient_and_kept_on_the_row(smtp, settings, caplog):
    # Django's SMTP backend refuses a non-ASCII local part with a ValueError naming the address.
    settings.ATTORNEY_NOTIFY_EMAILS = ["josé.desk@firm.example"]
    lead = submit()

    with caplog.at_level(logging.DEBUG):
        run_worker()

    notification = lead.deliveries.get(kind=Delivery.Kind.NOTIFICATION)
    assert "josé.desk@firm.example" in notification.last_error  # for people to see
    [record] = [
        r for r in caplog.records if r.name == "leads.worker.deliveries" and r.levelno == logging.ERROR
    ]
    assert str(notification.pk) in record.getMessage() and "ValueError" in record.getMessage()
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]  # not the test server's
    assert "josé" not in "\n".join(map(logging.Formatter().format, ours))


def test_an_email_no_server_answered_is_sent_without_a_reply_code(desk, settings):
    # The in-memory backend keeps the email: no server answered, so no code is kept.
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    lead = submit()

    run_worker()

    assert {(d.status, d.last_status_code) for d in lead.deliveries.all()} == {(Delivery.Status.SENT, None)}


def test_a_prospect_gets_at_most_prospect_emails_per_day(smtp, desk, settings):
    settings.PROSPECT_EMAILS_PER_DAY = 2
    for _ in range(3):
        submit(resubmit_duplicates=True)
        run_worker()

    to_prospect = Delivery.objects.filter(recipient=PROSPECT).order_by("created_at")
    assert [d.status for d in to_prospect] == [
        Delivery.Status.SENT,
        Delivery.Status.SENT,
        Delivery.Status.FAILED,
    ]
    assert "PROSPECT_EMAILS_PER_DAY=2" in to_prospect.last().last_error
    assert len(smtp.to(PROSPECT)) == 2
    assert len(smtp.to(DESK)) == 3  # the attorneys still hear of every submission


def test_the_daily_cap_counts_one_mailbox_however_its_address_was_spelt(smtp, desk, settings, attorney):
    settings.PROSPECT_EMAILS_PER_DAY = 2
    lead = submit(email="jane@\uff45xample.com")  # a fullwidth e: mailed to jane@example.com
    run_worker()
    services.update_lead(lead=lead, by=attorney, email="jane@example.com")  # corrected by hand

    for _ in range(2):
        submit(email="jane@example.com", resubmit_duplicates=True)
        run_worker()

    statuses = list(
        lead.deliveries.filter(recipient_key=PROSPECT).order_by("created_at").values_list("status", flat=True)
    )
    assert statuses == [Delivery.Status.SENT, Delivery.Status.SENT, Delivery.Status.FAILED]
    assert len(smtp.to(PROSPECT)) == 2


def test_a_lead_deleted_before_the_worker_ran_gets_no_email(smtp, desk):
    lead = submit()
    services.delete_leads(leads=Lead.objects.filter(pk=lead.pk))

    run_worker()

    assert smtp.messages == []
    assert not Delivery.objects.exists()


def test_emails_of_a_lead_deleted_between_fan_out_and_sending_are_not_sent(smtp_down, desk):
    lead = submit()
    run_worker()  # the fan-out made the deliveries; the sends failed and wait for a retry
    services.delete_leads(leads=Lead.objects.filter(pk=lead.pk))
    server = SmtpServer(port=smtp_down.port).start()
    try:
        make_due_now()
        run_worker()
    finally:
        server.stop()

    assert server.sink.messages == []
    assert not Delivery.objects.exists()


def test_a_delivery_is_claimed_by_one_attempt_only(smtp, desk):
    lead = submit()
    run_worker()
    delivery = lead.deliveries.first()
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.QUEUED, claimed_at=None)

    first = Delivery.objects.claim(delivery.pk, stale_after=timedelta(minutes=10))
    second = Delivery.objects.claim(delivery.pk, stale_after=timedelta(minutes=10))

    assert first is not None and second is None


def test_a_claim_older_than_the_stale_timeout_can_be_taken_over(smtp, desk):
    lead = submit()
    run_worker()
    delivery = lead.deliveries.first()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.QUEUED, claimed_at=timezone.now() - timedelta(minutes=11)
    )

    assert Delivery.objects.claim(delivery.pk, stale_after=timedelta(minutes=10)) is not None


def test_attorneys_can_see_deliveries_through_the_api_but_others_cannot(desk, attorney, staff_without_view):
    submit()

    assert token_client(attorney).get("/api/v1/deliveries/").status_code == 200
    assert token_client(staff_without_view).get("/api/v1/deliveries/").status_code == 403


def test_the_api_filters_deliveries_by_lead(smtp, desk, attorney):
    lead, other = submit(), submit("other@example.com")
    run_worker()

    body = token_client(attorney).get("/api/v1/deliveries/", {"lead": str(lead.pk)}).json()

    assert body["count"] == 2
    assert {row["lead"] for row in body["results"]} == {str(lead.pk)}
    assert str(other.pk) not in {row["lead"] for row in body["results"]}


def test_the_dashboard_shows_failed_deliveries_and_the_oldest_queued_one(
    smtp_down, desk, client, attorney, settings
):
    settings.EMAIL_MAX_ATTEMPTS = 1
    submit()
    run_worker()  # both fail at their only attempt
    settings.EMAIL_MAX_ATTEMPTS = 5
    submit("other@example.com")
    run_worker()  # both wait for their second attempt
    Delivery.objects.with_status(Delivery.Status.QUEUED).update(
        created_at=timezone.now() - timedelta(hours=3)
    )
    client.force_login(attorney)

    page = client.get("/admin/leads/lead/dashboard/").content.decode()

    assert 'id="deliveries-failed" href="/admin/leads/delivery/?status__exact=failed">2</a>' in page
    assert "3\xa0hours" in page
