"""What the emails say, end to end: a form submission, a real worker run, a real SMTP server."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.tests.factories import AttorneyFactory, UserFactory
from leads import services
from leads.models import Lead
from leads.tests.documents import MINIMAL_PDF
from leads.tests.mail import bodies, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def apply(client, **overrides) -> Lead:
    data = {
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.com",
        "resume": SimpleUploadedFile("cv.pdf", MINIMAL_PDF),
        **overrides,
    }
    response = client.post("/", data)
    assert response.status_code == 303
    return Lead.objects.by_email(data["email"])


def test_prospect_gets_a_confirmation_through_the_worker(client, smtp, settings):
    settings.FIRM_NAME = "Hale & Partners"
    AttorneyFactory()
    apply(client)

    run_worker()

    [message] = smtp.to("jane@example.com")
    text, html = bodies(message)
    assert message["Subject"] == "Hale & Partners: we received your application"
    assert "Thank you for your application to Hale & Partners" in text
    assert "Hale &amp; Partners" in html


def test_confirmation_never_repeats_what_was_typed_into_the_form(client, smtp):
    AttorneyFactory()
    apply(client, first_name="Visit", last_name="Prizes-Now")

    run_worker()

    [message] = smtp.to("jane@example.com")
    text, html = bodies(message)
    assert "Visit" not in text + html + message["Subject"]
    assert "Prizes-Now" not in text + html + message["Subject"]


def test_attorneys_get_a_notification_with_an_absolute_admin_link(client, smtp):
    attorneys = [AttorneyFactory(), AttorneyFactory()]
    UserFactory(email="not-an-attorney@firm.example")
    lead = apply(client)

    run_worker()

    link = f"https://intake.example/admin/leads/lead/{lead.pk}/change/"
    for attorney in attorneys:
        [message] = smtp.to(attorney.email)
        text, html = bodies(message)
        assert message["Subject"] == "New lead: Jane Doe"
        assert message["Reply-To"] == "jane@example.com"
        assert link in text and f'href="{link}"' in html
    assert smtp.to("not-an-attorney@firm.example") == []


def test_each_attorney_gets_a_message_of_their_own(client, smtp):
    attorneys = [AttorneyFactory(), AttorneyFactory()]
    apply(client)

    run_worker()

    notified = [recipients for recipients, _ in smtp.messages if "jane@example.com" not in recipients]
    assert sorted(notified) == sorted([attorney.email] for attorney in attorneys)


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


def test_names_are_escaped_in_the_html_notification_and_verbatim_in_its_text(client, smtp):
    attorney = AttorneyFactory()
    apply(client, first_name="<b>Eve</b>", last_name="O'Brien & Co")

    run_worker()

    [message] = smtp.to(attorney.email)
    text, html = bodies(message)
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html and "<b>Eve" not in html
    assert "O&#x27;Brien &amp; Co" in html
    assert "<b>Eve</b> O'Brien & Co" in text


def test_a_line_break_in_a_name_cannot_add_a_header(smtp):
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
