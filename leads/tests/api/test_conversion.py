"""GET /api/v1/reports/conversion/: which sources and attorneys bring clients."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import token_client
from leads import services
from leads.models import Lead
from leads.tests.factories import LeadFactory

URL = "/api/v1/reports/conversion/"


def close(lead, outcome, by, **extra):
    return services.close_lead(lead=lead, outcome=outcome, by=by, **extra)


@pytest.fixture
def client(attorney):
    return token_client(attorney)


@pytest.mark.django_db
def test_the_report_by_source_counts_each_outcome_and_the_rate(client, attorney):
    web = LeadFactory.create_batch(4, source="web")
    LeadFactory(source="ads")
    close(web[0], "RETAINED", attorney)
    close(web[1], "DECLINED", attorney, reason="Conflict")
    services.reach_out(lead=web[2], by=attorney)

    response = client.get(URL, {"by": "source"})

    assert response.status_code == 200
    first, second = response.json()
    assert first["key"] == "web"
    assert {
        k: first[k]
        for k in ("leads", "open", "reached_out", "retained", "declined", "referred", "no_response")
    } == {
        "leads": 4,
        "open": 2,
        "reached_out": 1,
        "retained": 1,
        "declined": 1,
        "referred": 0,
        "no_response": 0,
    }
    assert first["conversion_rate"] == 0.5
    assert first["median_seconds_to_close"] is not None
    assert (second["key"], second["leads"], second["conversion_rate"]) == ("ads", 1, None)


@pytest.mark.django_db
def test_the_report_by_assignee_names_usernames_and_null_for_nobody(client, attorney):
    lead = LeadFactory()
    services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=attorney, by=attorney)
    LeadFactory()

    rows = {row["key"]: row["leads"] for row in client.get(URL, {"by": "assigned_to"}).json()}

    assert rows == {attorney.username: 1, None: 1}


@pytest.mark.django_db
def test_the_report_takes_the_creation_window(client):
    LeadFactory(source="old", created_at=timezone.now() - timedelta(days=200))
    LeadFactory(source="new")

    after = (timezone.now() - timedelta(days=90)).isoformat()
    rows = client.get(URL, {"by": "source", "created_after": after}).json()

    assert [row["key"] for row in rows] == ["new"]


@pytest.mark.django_db
def test_the_report_leaves_trashed_leads_out(client):
    lead = LeadFactory(source="web")
    services.trash_leads(leads=Lead.objects.filter(pk=lead.pk), by=None)

    assert client.get(URL).json() == []


@pytest.mark.django_db
def test_an_unknown_grouping_is_a_400_on_by(client):
    response = client.get(URL, {"by": "colour"})

    assert response.status_code == 400
    assert list(response.json()) == ["by"]


@pytest.mark.django_db
def test_a_malformed_date_is_a_400_naming_it(client):
    response = client.get(URL, {"created_after": "yesterday"})

    assert response.status_code == 400
    assert list(response.json()) == ["created_after"]


@pytest.mark.django_db
def test_practice_area_is_accepted(client):
    LeadFactory()

    response = client.get(URL, {"by": "practice_area"})

    assert response.status_code == 200
    assert sum(row["leads"] for row in response.json()) == 1


@pytest.mark.django_db
def test_the_report_needs_view_lead(staff_without_view):
    assert token_client(staff_without_view).get(URL).status_code == 403


@pytest.mark.django_db
def test_the_report_needs_credentials(api_client):
    assert api_client.get(URL).status_code == 401


@pytest.mark.django_db
def test_the_report_costs_the_same_queries_whatever_the_leads(
    client, attorney, django_assert_max_num_queries
):
    for i, lead in enumerate(LeadFactory.create_batch(30, source="web")):
        if i % 3 == 0:
            close(lead, "RETAINED", attorney)

    # token and user with permissions: 3; the rollup's state and marks: 1; the rollup's sums
    # through the window's ends: 1 (2 off PostgreSQL, none before the first fold); the live
    # leads: 1.
    with django_assert_max_num_queries(7):
        response = client.get(URL, {"by": "source"})

    assert response.json()[0]["retained"] == 10
