"""The intake emails, end to end: a form submission, a real worker run, a real SMTP server."""

import email
import email.policy
import io
import logging
import signal
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import AttorneyFactory, UserFactory
from config.testing import free_port
from leads import services
from leads.models import Lead
from leads.tasks import retry_delay
from leads.tests.documents import MINIMAL_PDF

pytestmark = pytest.mark.django_db(transaction=True)


class Sink:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for recipients, message in self.messages if address in recipients]


def start_smtp(port: int) -> tuple[Controller, Sink]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, sink


@pytest.fixture
def smtp_port(settings):
    port = free_port()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    settings.SITE_URL = "https://intake.example"
    settings.INTAKE_RATE = "100/minute"
    return port


@pytest.fixture
def smtp(smtp_port):
    controller, sink = start_smtp(smtp_port)
    yield sink
    controller.stop()


def run_worker() -> None:
    """Run `manage.py db_worker` until the queue has nothing due, then restore signals."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command(
            "db_worker",
            "--batch",
            "--no-startup-delay",
            "--no-reload",
            "--interval",
            "0",
            stdout=io.StringIO(),
        )
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def apply(client, **overrides):
    data = {
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.com",
        "resume": SimpleUploadedFile("cv.pdf", MINIMAL_PDF),
        **overrides,
    }
    response = client.post("/", data)
    assert response.status_code == 303
    return Lead.objects.get(email=data["email"])


def bodies(message) -> tuple[str, str]:
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )


def test_prospect_gets_a_confirmation_through_the_worker(client, smtp):
    AttorneyFactory()
    apply(client)

    run_worker()

    [message] = smtp.to("jane@example.com")
    text, html = bodies(message)
    assert message["Subject"] == "We received your application"
    assert "Dear Jane Doe" in text and "Dear Jane Doe" in html


def test_attorneys_get_a_notification_with_an_absolute_admin_link(client, smtp):
    attorneys = [AttorneyFactory(), AttorneyFactory()]
    UserFactory(email="not-an-attorney@firm.example")
    lead = apply(client)

    run_worker()

    link = f"https://intake.example/admin/leads/lead/{lead.pk}/change/"
    [(recipients, message)] = [(r, m) for r, m in smtp.messages if "jane@example.com" not in r]
    text, html = bodies(message)
    assert sorted(recipients) == sorted(a.email for a in attorneys)
    assert message["Subject"] == "New lead: Jane Doe"
    assert message["Reply-To"] == "jane@example.com"
    assert link in text and f'href="{link}"' in html


def test_inactive_attorneys_are_not_notified(client, smtp):
    AttorneyFactory(email="gone@firm.example", is_active=False)
    active = AttorneyFactory()
    apply(client)

    run_worker()

    assert smtp.to(active.email) and not smtp.to("gone@firm.example")


def test_attorney_notify_emails_setting_replaces_the_group(client, smtp, settings):
    settings.ATTORNEY_NOTIFY_EMAILS = ["intake-desk@firm.example"]
    attorney = AttorneyFactory()
    apply(client)

    run_worker()

    assert len(smtp.to("intake-desk@firm.example")) == 1
    assert smtp.to(attorney.email) == []


def test_names_are_escaped_in_html_and_verbatim_in_text(client, smtp):
    AttorneyFactory()
    apply(client, first_name="<b>Eve</b>", last_name="O'Brien & Co")

    run_worker()

    [message] = smtp.to("jane@example.com")
    text, html = bodies(message)
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html and "<b>Eve" not in html
    assert "O&#x27;Brien &amp; Co" in html
    assert "<b>Eve</b> O'Brien & Co" in text


def test_a_line_break_in_a_name_cannot_add_a_header(smtp, django_capture_on_commit_callbacks):
    # The form refuses such names; the service is the last line, so go straight to it.
    attorney = AttorneyFactory()
    services.submit_lead(
        first_name="Eve\r\nBcc: victim@example.com",
        last_name="Doe",
        email="eve@example.com",
        resume=SimpleUploadedFile("cv.pdf", MINIMAL_PDF),
    )

    run_worker()

    [(recipients, message)] = [(r, m) for r, m in smtp.messages if attorney.email in r]
    assert recipients == [attorney.email]
    assert message["Bcc"] is None
    assert message["Subject"] == "New lead: Eve Bcc: victim@example.com Doe"
    assert not smtp.to("victim@example.com")


def test_refusing_mail_server_keeps_the_lead_and_delivers_once_it_is_back(client, smtp_port, caplog):
    AttorneyFactory(email="partner@firm.example")
    caplog.set_level(logging.WARNING, logger="leads.tasks")

    lead = apply(client)  # nothing listens on smtp_port: connection refused
    run_worker()

    assert Lead.objects.filter(pk=lead.pk, status=Lead.Status.PENDING).exists()
    failures = [r for r in caplog.records if "failed on attempt 1" in r.getMessage()]
    assert len(failures) == 2
    retries = DBTaskResult.objects.ready()
    assert retries.count() == 0  # both retries wait for their backoff

    controller, sink = start_smtp(smtp_port)
    try:
        # The backoff has passed.
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_worker()
    finally:
        controller.stop()

    assert len(sink.to("jane@example.com")) == 1
    assert len(sink.to("partner@firm.example")) == 1


def test_failed_send_is_retried_later_with_the_next_attempt_number(client, smtp_port, settings):
    settings.EMAIL_RETRY_BASE_SECONDS = 60
    AttorneyFactory()
    before = timezone.now()
    apply(client)

    run_worker()

    retries = DBTaskResult.objects.filter(status="READY")
    assert sorted(r.args_kwargs["args"][0] for r in retries) == ["lead_confirmation", "lead_notification"]
    assert {r.args_kwargs["args"][2] for r in retries} == {2}
    for retry in retries:
        assert before + timedelta(seconds=60) <= retry.run_after <= timezone.now() + timedelta(seconds=60)


def test_sending_gives_up_after_the_last_attempt_and_says_so(client, smtp_port, settings, caplog):
    settings.EMAIL_MAX_ATTEMPTS = 3
    settings.EMAIL_RETRY_BASE_SECONDS = 0
    settings.ATTORNEY_NOTIFY_EMAILS = ["desk@firm.example"]
    caplog.set_level(logging.WARNING, logger="leads.tasks")
    lead = apply(client)

    run_worker()  # with no backoff, all three attempts of both emails run now

    assert DBTaskResult.objects.filter(status="READY").count() == 0
    assert DBTaskResult.objects.filter(status="FAILED").count() == 6
    assert len([r for r in caplog.records if "giving up" in r.getMessage()]) == 2
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_backoff_doubles_and_is_capped(settings):
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    settings.EMAIL_RETRY_MAX_SECONDS = 3600

    delays = [retry_delay(attempt).total_seconds() for attempt in range(1, 10)]

    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_email_for_a_lead_deleted_before_sending_is_skipped(client, smtp):
    AttorneyFactory()
    lead = apply(client)
    services.delete_leads(leads=Lead.objects.filter(pk=lead.pk))

    run_worker()

    assert smtp.messages == []
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
