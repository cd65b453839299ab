"""The lead page's outcome buttons, reopening, the bulk "Close as no response" and the list
that shows open leads by default, through the test client."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django_tasks_db.models import DBTaskResult

from leads import services
from leads.models import Delivery, Lead, LetterTemplate, PracticeArea, StatusChange
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/leads/lead/"


def page_url(lead: Lead) -> str:
    return f"{LIST_URL}{lead.pk}/change/"


def lead_ids_in(response) -> list[str]:
    return re.findall(r'name="_selected_action" value="([^"]+)"', response.content.decode())


def test_the_lead_page_offers_the_four_outcome_buttons(attorney_client):
    body = attorney_client.get(page_url(LeadFactory())).content.decode()

    for outcome in ("RETAINED", "DECLINED", "REFERRED", "NO_RESPONSE"):
        assert f'name="outcome" value="{outcome}"' in body


def test_declining_on_the_lead_page_closes_it_with_the_reason(attorney_client, attorney):
    lead = LeadFactory()

    response = attorney_client.post(
        f"{LIST_URL}{lead.pk}/close/", {"outcome": "DECLINED", "reason": "Conflict of interest"}
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.outcome_reason, lead.closed_by) == (
        "DECLINED",
        "Conflict of interest",
        attorney,
    )


def test_declining_without_a_reason_says_so_and_keeps_the_lead_open(attorney_client):
    lead = LeadFactory()

    response = attorney_client.post(f"{LIST_URL}{lead.pk}/close/", {"outcome": "DECLINED"}, follow=True)

    assert "needs a reason" in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == Lead.Status.PENDING


def test_declining_with_the_letter_queues_one_letter(attorney_client):
    lead = LeadFactory()

    attorney_client.post(
        f"{LIST_URL}{lead.pk}/close/", {"outcome": "DECLINED", "reason": "Conflict", "send_letter": "1"}
    )

    [event] = DBTaskResult.objects.filter(task_path="leads.worker.fanout.handle_event")
    assert event.args_kwargs["args"][0] == "lead.closed"
    assert event.args_kwargs["args"][2] == {"send_letter": True}


def test_a_closed_lead_page_shows_its_outcome_and_a_reopen_button(attorney_client, attorney):
    lead = LeadFactory()
    services.close_lead(lead=lead, outcome="REFERRED", by=attorney, reason="Tax law", referred_to="Ann Smith")

    body = attorney_client.get(page_url(lead)).content.decode()

    assert "Outcome: Referred out" in body
    assert "Reason: Tax law" in body
    assert "referred to Ann Smith" in body
    assert f'action="{LIST_URL}{lead.pk}/reopen/"' in body
    assert 'name="outcome"' not in body


def test_reopening_on_the_lead_page_returns_the_status_before(attorney_client, attorney):
    lead = services.reach_out(lead=LeadFactory(), by=attorney)
    services.close_lead(lead=lead, outcome="RETAINED", by=attorney)

    attorney_client.post(f"{LIST_URL}{lead.pk}/reopen/")

    lead.refresh_from_db()
    assert lead.status == Lead.Status.REACHED_OUT


def test_a_viewer_gets_no_outcome_buttons_and_cannot_close(client, staff_without_view):
    staff_without_view.user_permissions.set(Permission.objects.filter(codename="view_lead"))
    client.force_login(staff_without_view)
    lead = LeadFactory()

    body = client.get(page_url(lead)).content.decode()
    response = client.post(f"{LIST_URL}{lead.pk}/close/", {"outcome": "RETAINED"})

    assert 'name="outcome"' not in body
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.status == Lead.Status.PENDING


def test_the_bulk_action_closes_the_open_ones_as_no_response(attorney_client, attorney):
    leads = LeadFactory.create_batch(3)
    services.close_lead(lead=leads[0], outcome="RETAINED", by=attorney)

    response = attorney_client.post(
        f"{LIST_URL}?state=all",
        {
            "action": "close_as_no_response",
            "_selected_action": [str(lead.pk) for lead in leads],
            "index": "0",
        },
        follow=True,
    )

    assert "2 leads closed as no response; 1 was already closed." in response.content.decode()
    assert sorted(Lead.objects.values_list("status", flat=True)) == ["NO_RESPONSE", "NO_RESPONSE", "RETAINED"]
    assert StatusChange.objects.count() == 3


def test_the_list_shows_open_leads_by_default(attorney_client, attorney):
    open_lead, closed_lead = LeadFactory(), LeadFactory()
    services.close_lead(lead=closed_lead, outcome="RETAINED", by=attorney)

    assert lead_ids_in(attorney_client.get(LIST_URL)) == [str(open_lead.pk)]
    assert lead_ids_in(attorney_client.get(LIST_URL, {"state": "closed"})) == [str(closed_lead.pk)]
    assert len(lead_ids_in(attorney_client.get(LIST_URL, {"state": "all"}))) == 2


def test_the_status_filter_shows_an_outcome_despite_the_open_default(attorney_client, attorney):
    lead = LeadFactory()
    services.close_lead(lead=lead, outcome="DECLINED", by=attorney, reason="Conflict")

    response = attorney_client.get(LIST_URL, {"status__exact": "DECLINED"})

    assert lead_ids_in(response) == [str(lead.pk)]


def test_the_open_list_keeps_its_query_budget(attorney_client, attorney, django_assert_max_num_queries):
    leads = LeadFactory.create_batch(60)
    services.close_leads(
        leads=Lead.objects.filter(pk__in=[lead.pk for lead in leads[:5]]), outcome="RETAINED", by=attorney
    )

    # As before outcomes: session and user 2, the summary 1, the page with its count 1, the
    # attorneys 1.
    with django_assert_max_num_queries(6):
        response = attorney_client.get(LIST_URL)

    assert len(lead_ids_in(response)) == 50


def test_the_letter_templates_are_edited_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/leads/lettertemplate/add/",
        {
            "outcome": "DECLINED",
            "subject": "Your inquiry",
            "body": "Dear {first_name}, ...",
            "translations": "{}",
        },
    )

    assert response.status_code == 302
    assert LetterTemplate.objects.get().subject == "Your inquiry"


def test_a_letter_in_the_timeline_shows_as_a_delivery(attorney_client, attorney):
    lead = LeadFactory()
    Delivery.objects.create(
        lead=lead, kind=Delivery.Kind.LETTER, channel=Delivery.Channel.EMAIL, recipient=lead.email
    )

    body = attorney_client.get(page_url(lead)).content.decode()

    assert "Non-engagement letter to the prospect" in body


def test_the_dashboard_shows_conversion_by_source(attorney_client, attorney):
    leads = LeadFactory.create_batch(2, source="newsletter")
    services.close_lead(lead=leads[0], outcome="RETAINED", by=attorney)
    services.close_lead(lead=leads[1], outcome="DECLINED", by=attorney, reason="Conflict")

    body = attorney_client.get("/admin/leads/lead/dashboard/").content.decode()

    table = re.search(
        r'<table class="lead-conversion__table" data-by="source">.*?</table>', body, re.S
    ).group(0)
    assert "newsletter" in table
    assert "50%" in table


@pytest.mark.postgres_only(reason="the planner's statistics exist on PostgreSQL")
def test_the_open_list_of_a_large_table_is_counted_from_the_statistics(monkeypatch, attorney):
    monkeypatch.setattr("leads.counting.EXACT_COUNT_LIMIT", 3)
    leads = LeadFactory.create_batch(6)
    services.close_leads(
        leads=Lead.objects.filter(pk__in=[lead.pk for lead in leads[:2]]), outcome="RETAINED", by=attorney
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
        # What ANALYZE would record for a table of six million rows (rolled back with the test).
        cursor.execute("UPDATE pg_class SET reltuples = 6000000 WHERE oid = 'leads_lead'::regclass")

    count, is_estimate = Lead.objects.open_leads().estimated_count()

    assert (count, is_estimate) == (4_000_000, True)


def test_the_dashboards_conversion_by_practice_area_names_each_area(attorney_client):
    area = PracticeArea.objects.create(name="Family law", slug="family")
    LeadFactory(practice_area=area)

    body = attorney_client.get("/admin/leads/lead/dashboard/").content.decode()

    table = re.search(
        r'<table class="lead-conversion__table" data-by="practice_area">.*?</table>', body, re.S
    ).group(0)
    assert '<th scope="row">Family law</th>' in table
