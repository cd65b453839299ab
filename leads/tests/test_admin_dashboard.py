"""The intake dashboard: leads per week, median time to reach out, pending leads, attorneys."""

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.utils import timezone

from accounts.tests.factories import AttorneyFactory
from leads import services
from leads.admin.display import format_duration
from leads.models import Lead
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

DASHBOARD_URL = "/admin/leads/lead/dashboard/"


def reached_after(attorney, *, hours: float, created_days_ago: float = 3) -> Lead:
    """A lead created `created_days_ago` days ago and reached out `hours` later."""
    created = timezone.now() - timedelta(days=created_days_ago)
    lead = services.reach_out(lead=LeadFactory(created_at=created), by=attorney)
    Lead.objects.filter(pk=lead.pk).update(reached_out_at=created + timedelta(hours=hours))
    return lead


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(DASHBOARD_URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_view_permission_gets_403(client, staff_without_view):
    client.force_login(staff_without_view)

    assert client.get(DASHBOARD_URL).status_code == 403


def test_chart_has_a_bar_per_week_of_the_quarter(attorney_client):
    LeadFactory.create_batch(2)

    body = attorney_client.get(DASHBOARD_URL).content.decode()

    assert body.count('class="lead-chart__bar"') == 13
    assert "(2 in all)" in body


def test_leads_per_week_counts_each_week_and_skips_older_ones(attorney_client):
    now = timezone.now()
    LeadFactory.create_batch(2, created_at=now)
    LeadFactory(created_at=now - timedelta(weeks=1))
    LeadFactory(created_at=now - timedelta(weeks=20))

    weeks = attorney_client.get(DASHBOARD_URL).context["funnel"].weeks

    assert len(weeks) == 13
    assert [count for _, count in weeks[-2:]] == [1, 2]
    assert sum(count for _, count in weeks) == 3
    assert weeks[-1][0] == timezone.localdate() - timedelta(days=timezone.localdate().weekday())


def test_median_time_to_reach_out_is_shown(attorney_client, attorney):
    for hours in (1, 2, 30):
        reached_after(attorney, hours=hours)

    body = attorney_client.get(DASHBOARD_URL).content.decode()

    assert '<p class="lead-kpi__value" id="median-reach-out">2 h 0 min</p>' in body


def test_median_is_a_dash_when_nobody_was_reached(attorney_client):
    LeadFactory()

    body = attorney_client.get(DASHBOARD_URL).content.decode()

    assert '<p class="lead-kpi__value" id="median-reach-out">—</p>' in body


def test_pending_counts_link_to_the_filtered_list(attorney_client, attorney):
    now = timezone.now()
    LeadFactory(created_at=now - timedelta(days=3))
    LeadFactory.create_batch(2, created_at=now - timedelta(days=10))
    LeadFactory(created_at=now)
    reached_after(attorney, hours=1, created_days_ago=10)

    body = attorney_client.get(DASHBOARD_URL).content.decode()

    assert '<a id="pending-2" href="/admin/leads/lead/?pending_older_than=2">3</a>' in body
    assert '<a id="pending-7" href="/admin/leads/lead/?pending_older_than=7">2</a>' in body


def test_the_newest_pending_leads_link_to_their_pages(attorney_client, attorney):
    now = timezone.now()
    old = LeadFactory(first_name="Oldest", created_at=now - timedelta(days=30))
    newest = [LeadFactory(first_name=f"New{n}", created_at=now - timedelta(minutes=n)) for n in range(5)]
    reached = LeadFactory(first_name="Contacted", created_at=now)
    services.reach_out(lead=reached, by=attorney)

    body = attorney_client.get(DASHBOARD_URL).content.decode()

    for lead in newest:
        assert f'<a href="/admin/leads/lead/{lead.pk}/change/">{lead.full_name}</a>' in body
    assert old.full_name not in body
    assert reached.full_name not in body


def test_dashboard_has_no_inline_style_or_script(attorney_client):
    LeadFactory()

    body = attorney_client.get(DASHBOARD_URL).content.decode()

    assert "style=" not in body
    assert "<style" not in body
    assert '<link rel="stylesheet" href="/static/css/admin-leads.css">' in body


def test_the_stylesheet_it_needs_is_a_static_file():
    assert finders.find("css/admin-leads.css") is not None


def test_dashboard_query_count_does_not_grow_with_rows(
    attorney_client, attorney, django_assert_max_num_queries
):
    LeadFactory.create_batch(30)
    for hours in range(1, 11):
        reached_after(attorney, hours=hours)

    # session, and the user with their permission names: 2; the table's size on PostgreSQL
    # (is it large enough to reuse the figures?): 1; leads per week: 1; median: 1 on PostgreSQL
    # (a count and a slice elsewhere: 2); pending after 2 and 7 days: a bounded count each; the
    # newest pending: 1 (past 10,000 rows: the size, the newest pending, the rest reused). The
    # delivery figures: failed in 7 days, the oldest queued: 2. Per attorney: leads assigned,
    # the table's size again on PostgreSQL, reach-outs with their median, the attorneys: 3-4.
    # Reached within the response target: the table's size on PostgreSQL, one grouped count
    # (the attorneys named in it: 1 more when there are any): 2. Conversion by source and by
    # practice area: per table the table's size and one grouped query on PostgreSQL
    # (elsewhere the grouped query and the two medians): 4-6.
    # Leads per practice area: the table's size again on PostgreSQL, one GROUP BY: 1-2.
    with django_assert_max_num_queries(24):
        response = attorney_client.get(DASHBOARD_URL)

    assert response.status_code == 200


@pytest.mark.postgres_only(reason="the table-size estimate exists on PostgreSQL")
def test_figures_of_a_large_table_are_reused_but_the_newest_leads_are_not(attorney_client):
    LeadFactory(first_name="First")
    with connection.cursor() as cursor:
        # What ANALYZE would record for a table of two million rows (rolled back with the test).
        cursor.execute("UPDATE pg_class SET reltuples = 2000000 WHERE oid = 'leads_lead'::regclass")
    attorney_client.get(DASHBOARD_URL)

    LeadFactory(first_name="Second")
    response = attorney_client.get(DASHBOARD_URL)

    assert response.context["chart"].total == 1
    assert [lead.first_name for lead in response.context["funnel"].newest_pending] == ["Second", "First"]


@pytest.mark.postgres_only(reason="the table-size estimate exists on PostgreSQL")
def test_a_large_tables_reach_out_medians_are_reused_but_assignments_are_fresh(attorney_client):
    bob = AttorneyFactory(username="bob")
    reached_after(bob, hours=1)
    with connection.cursor() as cursor:
        # What ANALYZE would record for a table of two million rows (rolled back with the test).
        cursor.execute("UPDATE pg_class SET reltuples = 2000000 WHERE oid = 'leads_lead'::regclass")
    attorney_client.get(DASHBOARD_URL)

    reached_after(bob, hours=3)
    services.assign_leads(leads=Lead.objects.filter(pk=LeadFactory().pk), to=bob, by=bob)
    body = attorney_client.get(DASHBOARD_URL).content.decode()

    assert figures_of(body, "bob") == {"assigned": "1", "pending": "1", "reached": "1", "median": "1 h 0 min"}


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, "—"), (59, "1 min"), (3 * 3600 + 20 * 60, "3 h 20 min"), (2 * 86400 + 4 * 3600, "2 d 4 h")],
)
def test_durations_read_as_days_hours_minutes(seconds, shown):
    assert format_duration(seconds) == shown


def test_each_attorney_has_assigned_reached_out_and_median_figures(attorney_client, attorney):
    bob = AttorneyFactory(username="bob")
    AttorneyFactory(username="carol")
    services.assign_leads(
        leads=Lead.objects.filter(pk__in=[LeadFactory().pk for _ in range(3)]), to=bob, by=bob
    )
    for hours in (1, 2, 6):
        reached_after(bob, hours=hours)
    reached_after(attorney, hours=10)

    body = attorney_client.get(DASHBOARD_URL).content.decode()

    assert figures_of(body, "bob") == {"assigned": "3", "pending": "3", "reached": "3", "median": "2 h 0 min"}
    assert figures_of(body, attorney.username) == {
        "assigned": "0",
        "pending": "0",
        "reached": "1",
        "median": "10 h 0 min",
    }
    assert figures_of(body, "carol") == {"assigned": "0", "pending": "0", "reached": "0", "median": "—"}


def test_the_assigned_figure_links_to_that_attorneys_leads(attorney_client):
    bob = AttorneyFactory(username="bob")

    body = attorney_client.get(DASHBOARD_URL).content.decode()

    assert f'href="/admin/leads/lead/?assigned_to={bob.pk}"' in body


def figures_of(body: str, username: str) -> dict[str, str]:
    """The dashboard's figures in the row of `username`."""
    row = re.search(rf'<tr data-attorney="{username}">(.*?)</tr>', body, re.S).group(1)
    cells = dict(re.findall(r'<td class="lead-attorneys__(\w+)">(?:<a [^>]*>)?([^<]*)', row))
    return cells
