"""Speed to lead where people see it: the lead JSON, `?overdue=true`, the admin's "overdue"
filter, the lead page's "due by" / "overdue by", the dashboard's share reached in time, and
the emails themselves through a real SMTP server."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AttorneyFactory
from leads import services
from leads.models import Delivery, Lead
from leads.tests.factories import LeadFactory
from leads.tests.mail import bodies, run_worker
from leads.worker import followups


@pytest.fixture(autouse=True)
def always_open(settings):
    settings.FIRM_HOURS = "mon-sun 00:00-24:00"
    settings.LEAD_RESPONSE_TARGET_MINUTES = 60
    settings.LEAD_ESCALATE_TO = []
    settings.ATTORNEY_NOTIFY_EMAILS = []


def lead_due_in(minutes: float, **fields) -> Lead:
    due = timezone.now() + timedelta(minutes=minutes)
    return LeadFactory(**{"response_due_at": due, "next_follow_up_at": due, **fields})


@pytest.mark.django_db
def test_the_lead_json_says_when_a_response_is_due(integration_client):
    lead = lead_due_in(30)
    body = integration_client.get(f"/api/v1/leads/{lead.pk}/").json()
    assert body["response_due_at"] == lead.response_due_at.isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_the_lead_json_has_no_due_time_once_reached_out(integration_client, attorney):
    lead = lead_due_in(30)
    services.reach_out(lead=lead, by=attorney)
    assert integration_client.get(f"/api/v1/leads/{lead.pk}/").json()["response_due_at"] is None


@pytest.mark.django_db
def test_the_api_lists_only_overdue_leads_with_overdue_true(integration_client):
    late, _soon, _none = lead_due_in(-5), lead_due_in(30), LeadFactory()
    body = integration_client.get("/api/v1/leads/?overdue=true").json()
    assert [row["id"] for row in body["results"]] == [str(late.pk)]


@pytest.mark.django_db
def test_the_api_refuses_an_overdue_value_that_is_not_a_boolean_naming_the_field(integration_client):
    response = integration_client.get("/api/v1/leads/?overdue=soon")
    assert response.status_code == 400
    assert "overdue" in response.json()


@pytest.mark.django_db
def test_the_admin_list_filters_overdue_leads(attorney_client):
    late, soon = lead_due_in(-5, last_name="Latecomer"), lead_due_in(30, last_name="Early")
    page = attorney_client.get(reverse("admin:leads_lead_changelist") + "?overdue=true").content.decode()
    assert "Latecomer" in page and "Early" not in page
    assert late and soon


@pytest.mark.django_db
def test_the_lead_page_says_how_late_an_overdue_response_is(attorney_client):
    lead = lead_due_in(-125)
    page = attorney_client.get(reverse("admin:leads_lead_change", args=[lead.pk])).content.decode()
    assert "Overdue by 2 h 5 min" in page


@pytest.mark.django_db
def test_the_lead_page_says_when_a_response_is_due(attorney_client):
    lead = lead_due_in(30)
    page = attorney_client.get(reverse("admin:leads_lead_change", args=[lead.pk])).content.decode()
    assert "Response due by" in page and "Overdue" not in page


@pytest.mark.django_db
def test_the_dashboard_shows_each_attorneys_share_reached_within_target(attorney_client, attorney):
    now = timezone.now()
    for reached_after in (10, 50, 90, None):
        LeadFactory(
            assigned_to=attorney,
            created_at=now - timedelta(days=3),
            response_due_at=now - timedelta(days=3) + timedelta(minutes=60),
            reached_out_at=None if reached_after is None else now - timedelta(days=3, minutes=-reached_after),
        )
    page = attorney_client.get(reverse("admin:leads_lead_dashboard")).content.decode()
    row = page[page.index(f'data-within-target="{attorney.username}"') :]
    row = row[: row.index("</tr>")]
    assert "<td>4</td>" in row and "<td>2</td>" in row and "50 %" in row


@pytest.mark.django_db(transaction=True)
def test_the_escalation_email_names_the_lead_and_links_to_it(smtp, settings):
    ada = AttorneyFactory(email="ada@firm.example")
    lead = lead_due_in(-1, assigned_to=ada, first_name="Grace", last_name="Hopper")
    followups.periodic_pass()
    run_worker()

    (message,) = smtp.to("ada@firm.example")
    text, html = bodies(message)
    assert message["To"] == "ada@firm.example"
    assert message["Subject"] == "Overdue: Grace Hopper is waiting for a reply"
    assert f"https://intake.example/admin/leads/lead/{lead.pk}/change/" in text
    assert "Grace Hopper" in html
    assert Delivery.objects.get(kind=Delivery.Kind.ESCALATION).status == Delivery.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_a_backlog_summary_lists_the_overdue_leads(smtp, settings):
    AttorneyFactory(email="ada@firm.example")
    for n in range(7):
        lead_due_in(-1 - n, first_name="Waiting", last_name=f"Number{n}")
    followups.periodic_pass()
    run_worker()

    (message,) = smtp.to("ada@firm.example")
    text, _ = bodies(message)
    assert message["Subject"] == "7 leads are overdue"
    assert all(f"Waiting Number{n}" in text for n in range(7))


@pytest.mark.django_db(transaction=True)
def test_the_digest_lists_an_attorneys_open_leads(smtp, settings):
    settings.DIGEST_ENABLED = True
    ada = AttorneyFactory(email="ada@firm.example")
    # Their escalations are not the point here: no next look.
    lead_due_in(-10, assigned_to=ada, first_name="Late", last_name="One", next_follow_up_at=None)
    lead_due_in(30, assigned_to=ada, first_name="Fresh", last_name="One", next_follow_up_at=None)
    followups._digests_done_on = None
    followups.send_digests(timezone.now())
    run_worker()

    (message,) = smtp.to("ada@firm.example")
    text, _ = bodies(message)
    assert message["Subject"] == "Your open leads today: 2 (1 overdue)"
    assert text.index("Late One") < text.index("Fresh One")
    assert "[OVERDUE] Late One" in text
