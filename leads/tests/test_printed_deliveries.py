"""With DEBUG on and no mail server (`make run`), emails are printed to the log, not sent: they
are recorded as `printed`, and every place that shows deliveries says so."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from conftest import token_client
from leads import services
from leads.models import Delivery
from leads.tests.factories import MINIMAL_PDF, PrintedEmailFactory
from leads.tests.mail import run_worker

PROSPECT = "jane@example.com"


@pytest.fixture
def console_mail(settings):
    """What `make run` gives: DEBUG on, EMAIL_URL unset (the console mailer)."""
    settings.DEBUG = True
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    settings.ATTORNEY_NOTIFY_EMAILS = ["desk@firm.example"]


@pytest.fixture
def printed(db):
    return PrintedEmailFactory()


def check_deliveries() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("check_deliveries", stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, err.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_an_email_the_console_mailer_printed_is_recorded_as_printed_not_sent(console_mail, capsys):
    lead = services.submit_lead(
        first_name="Jane", last_name="Doe", email=PROSPECT, resume=SimpleUploadedFile("cv.pdf", MINIMAL_PDF)
    )

    run_worker()

    rows = {(d.recipient, d.status, d.attempts, d.last_status_code) for d in lead.deliveries.all()}
    assert rows == {
        (PROSPECT, Delivery.Status.PRINTED, 1, None),
        ("desk@firm.example", Delivery.Status.PRINTED, 1, None),
    }
    assert f"To: {PROSPECT}" in capsys.readouterr().out  # it was written out, and nothing more


def test_the_lead_s_timeline_says_the_email_was_only_printed(attorney_client, printed):
    page = attorney_client.get(f"/admin/leads/lead/{printed.lead.pk}/change/").content.decode()

    assert 'data-status="printed"' in page
    assert "Printed, not sent" in page and "no mail server is configured" in page


def test_the_deliveries_list_filters_and_labels_printed_ones(attorney_client, printed):
    Delivery.objects.create(
        kind=Delivery.Kind.CONFIRMATION, channel=Delivery.Channel.EMAIL, recipient=PROSPECT, status="sent"
    )

    page = attorney_client.get("/admin/leads/delivery/", {"status__exact": "printed"}).content.decode()

    assert page.count('data-status="printed"') == 1 and 'data-status="sent"' not in page
    assert "Printed, not sent" in page


def test_the_api_lists_printed_deliveries_under_their_own_status(attorney, printed):
    api = token_client(attorney)

    listed = api.get("/api/v1/deliveries/", {"status": "printed"}).json()
    timeline = api.get(f"/api/v1/leads/{printed.lead.pk}/timeline/").json()

    assert [row["status"] for row in listed["results"]] == ["printed"]
    assert [event["detail"]["status"] for event in timeline if event["type"] == "delivery"] == ["printed"]


def test_the_schema_names_printed_among_the_delivery_statuses(attorney):
    schema = token_client(attorney).get("/api/v1/schema/", {"format": "json"}).json()

    statuses = schema["components"]["schemas"]["DeliveryStatusEnum"]["enum"]
    assert statuses == ["queued", "sent", "failed", "printed"]


def test_the_dashboard_counts_the_emails_only_printed(attorney_client, printed):
    page = attorney_client.get("/admin/leads/lead/dashboard/").content.decode()

    assert 'id="deliveries-printed" href="/admin/leads/delivery/?status__exact=printed">1</a>' in page
    assert "no mail server is configured" in page


def test_check_deliveries_says_how_many_emails_were_only_printed_and_not_that_all_is_ok(printed):
    code, said = check_deliveries()

    assert code == 0
    assert "1 email in the last 24 hours was only printed to the log, not sent" in said
    assert "OK" not in said
