"""The lead page as the attorney's workspace: named after the prospect, state and actions at
the top, each action its own form, no link the viewer may not open."""

import re
from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import AttorneyFactory, UserFactory
from leads import services
from leads.models import Lead
from leads.tests.factories import LeadFactory
from leads.tests.test_admin import LIST_URL, change_form_data

pytestmark = pytest.mark.django_db


def page_of(lead: Lead) -> str:
    return f"{LIST_URL}{lead.pk}/change/"


def test_the_page_is_titled_with_the_prospects_name(attorney_client):
    lead = LeadFactory(first_name="Grace", last_name="Hopper")

    body = attorney_client.get(page_of(lead)).content.decode()

    assert "<h1>Grace Hopper</h1>" in body
    assert "<title>Grace Hopper |" in body


def test_the_breadcrumb_ends_with_the_name_not_the_id(attorney_client):
    lead = LeadFactory(first_name="Grace", last_name="Hopper")

    body = attorney_client.get(page_of(lead)).content.decode()

    crumbs = re.search(r'<ol class="breadcrumbs">(.*?)</ol>', body, re.S).group(1)
    assert '<li aria-current="page">Grace Hopper</li>' in crumbs
    assert str(lead.pk) not in crumbs


@pytest.mark.parametrize("page", ["history", "delete"])
def test_the_history_and_delete_pages_name_the_prospect_not_the_id(admin_client, page):
    lead = LeadFactory(first_name="Grace", last_name="Hopper")

    body = admin_client.get(f"{LIST_URL}{lead.pk}/{page}/").content.decode()

    crumbs = re.search(r'<ol class="breadcrumbs">(.*?)</ol>', body, re.S).group(1)
    assert ">Grace Hopper</a></li>" in crumbs
    assert str(lead.pk) not in crumbs.replace(f"/{lead.pk}/", "")  # in the link, not the words
    assert f"lead {lead.pk}" not in body


def test_the_save_message_names_the_prospect_and_the_log_does_not(attorney_client):
    lead = LeadFactory(first_name="Grace", last_name="Hopper")

    response = attorney_client.post(page_of(lead), change_form_data(lead, first_name="Amazing"), follow=True)

    assert "Amazing Hopper" in " ".join(str(m) for m in response.context["messages"])
    entry = LogEntry.objects.get()
    assert "Amazing" not in entry.object_repr and "Hopper" not in entry.object_repr


def test_state_and_actions_come_before_the_resume_the_timeline_and_the_details(attorney_client):
    lead = LeadFactory()

    body = attorney_client.get(page_of(lead)).content.decode()

    parts = [
        'class="lead-state"',
        'class="lead-actions"',
        'class="lead-resume"',
        'id="timeline"',
        'id="lead_form"',
    ]
    positions = [body.index(part) for part in parts]
    assert positions == sorted(positions)


def test_each_action_is_a_form_of_its_own(attorney_client):
    lead = LeadFactory()

    body = attorney_client.get(page_of(lead)).content.decode()

    actions = re.findall(r'<form method="post" action="([^"]+)"', body)
    assert actions[:3] == [f"{LIST_URL}{lead.pk}/{view}/" for view in ("reach-out", "assign", "note")]
    details = re.search(r'<form [^>]*id="lead_form".*?</form>', body, re.S).group(0)
    assert 'name="assigned_to"' not in details and 'name="body"' not in details


def test_the_assignee_choices_are_read_in_one_plain_query(attorney_client, attorney):
    lead = LeadFactory()
    colleague = AttorneyFactory(username="grace")

    with CaptureQueriesContext(connection) as queries:
        body = attorney_client.get(page_of(lead)).content.decode()

    # Django's choices read through a server-side cursor on PostgreSQL: DECLARE, FETCH, CLOSE.
    assert not [query for query in queries if "DECLARE" in query["sql"] or "FETCH" in query["sql"]]
    assert f'<option value="{colleague.pk}">{colleague.full_name} (grace)</option>' in body
    assert f'<option value="{attorney.pk}">' in body


def test_reaching_out_leaves_the_names_and_the_assignee_alone(attorney_client, attorney):
    colleague = AttorneyFactory()
    lead = LeadFactory(first_name="Grace")
    services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=colleague, by=attorney)

    attorney_client.post(f"{LIST_URL}{lead.pk}/reach-out/", {"first_name": "Typed", "assigned_to": ""})

    lead.refresh_from_db()
    assert (lead.status, lead.first_name, lead.assigned_to) == (Lead.Status.REACHED_OUT, "Grace", colleague)


def test_who_reached_out_is_named_without_a_link_to_their_user_page(attorney_client, attorney):
    lead = LeadFactory()
    services.reach_out(lead=lead, by=attorney)

    body = attorney_client.get(page_of(lead)).content.decode()

    assert f"by {attorney.username}" in body or f"({attorney.username})" in body
    assert "/admin/accounts/user/" not in body


def test_a_viewer_without_delivery_permission_gets_no_deliveries_link(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_lead"))
    client.force_login(viewer)
    lead = LeadFactory()

    body = client.get(page_of(lead)).content.decode()

    assert "/admin/leads/delivery/" not in body


def test_the_page_warns_before_an_action_drops_typed_text(attorney_client):
    lead = LeadFactory()

    body = attorney_client.get(page_of(lead)).content.decode()

    assert "js/lead-workspace.js" in body
    assert body.count("data-workspace-form") == 3


def test_the_admin_home_links_to_the_dashboard(attorney_client):
    body = attorney_client.get("/admin/").content.decode()

    assert 'href="/admin/leads/lead/dashboard/"' in body


def test_the_dashboards_breadcrumb_names_leads_once(attorney_client):
    body = attorney_client.get("/admin/leads/lead/dashboard/").content.decode()

    crumbs = re.findall(
        r"<li[^>]*>(?:<a [^>]*>)?([^<]+)",
        re.search(r'<ol class="breadcrumbs">(.*?)</ol>', body, re.S).group(1),
    )
    assert crumbs == ["Home", "Leads", "Intake funnel"]


def test_admin_times_are_written_one_way_with_their_time_zone(attorney_client, settings):
    settings.TIME_ZONE = "Europe/Madrid"
    lead = LeadFactory(created_at=timezone.make_aware(datetime(2026, 3, 15, 12, 5), timezone=UTC))

    listed = attorney_client.get(LIST_URL).content.decode()
    page = attorney_client.get(page_of(lead)).content.decode()

    assert "15 Mar 2026, 13:05 CET" in listed
    assert page.count("15 Mar 2026, 13:05 CET") >= 2  # the state and the timeline's submission


def test_the_lead_lists_breadcrumb_names_leads_once(attorney_client):
    body = attorney_client.get(LIST_URL).content.decode()

    crumbs = re.search(r'<ol class="breadcrumbs">(.*?)</ol>', body, re.S).group(1)
    assert re.findall(r"<li[^>]*>(?:<a [^>]*>)?([^<]+)", crumbs) == ["Home", "Leads"]


def test_save_and_continue_comes_back_to_the_lead_page_with_its_name(attorney_client):
    lead = LeadFactory(first_name="Grace", last_name="Hopper")

    response = attorney_client.post(page_of(lead), {**change_form_data(lead), "_continue": "1"}, follow=True)

    assert response.redirect_chain[-1][0] == page_of(lead)
    assert "Grace Hopper" in " ".join(str(m) for m in response.context["messages"])
