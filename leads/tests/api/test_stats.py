from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from leads import services
from leads.models import Lead, SharedCacheEntry
from leads.selectors import STATS_CACHE_KEY
from leads.tests.factories import LeadFactory

URL = "/api/v1/leads/stats/"


@pytest.mark.django_db
def test_stats_of_no_leads_are_zeros_and_a_null_median(integration_client):
    response = integration_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        **dict.fromkeys(Lead.Status.values, 0),
        "total": 0,
        "median_seconds_to_reach_out": None,
        "pending_older_than_48h": 0,
        "practice_areas": {},
    }


@pytest.mark.django_db
def test_stats_count_statuses_waits_and_old_pending_leads(integration_client, attorney):
    now = timezone.now()
    LeadFactory(created_at=now - timedelta(hours=49))
    LeadFactory(created_at=now - timedelta(hours=1))
    reached = LeadFactory(created_at=now - timedelta(hours=100))
    services.reach_out(lead=reached, by=attorney)
    Lead.objects.filter(pk=reached.pk).update(reached_out_at=reached.created_at + timedelta(seconds=600))

    body = integration_client.get(URL).json()

    assert body == {
        **dict.fromkeys(Lead.Status.values, 0),
        "PENDING": 2,
        "REACHED_OUT": 1,
        "total": 3,
        "median_seconds_to_reach_out": 600.0,
        "pending_older_than_48h": 1,
        "practice_areas": {"none": 3},
    }


@pytest.mark.django_db
def test_stats_without_credentials_is_a_401(api_client):
    assert api_client.get(URL).status_code == 401


@pytest.mark.django_db
def test_stats_without_view_lead_is_a_403(no_perms_client):
    assert no_perms_client.get(URL).status_code == 403


@pytest.mark.django_db
def test_stats_ignore_list_parameters(integration_client):
    response = integration_client.get(URL, {"status": "nonsense", "page_size": "x"})

    assert response.status_code == 200


@pytest.mark.postgres_only(reason="the table-size estimate exists on PostgreSQL")
@pytest.mark.django_db
def test_stats_of_a_large_table_are_reused_for_the_cache_period(integration_client):
    LeadFactory()
    with connection.cursor() as cursor:
        # What ANALYZE would record for a table of two million rows (rolled back with the test).
        cursor.execute("UPDATE pg_class SET reltuples = 2000000 WHERE oid = 'leads_lead'::regclass")
    first = integration_client.get(URL).json()

    LeadFactory()

    assert integration_client.get(URL).json() == first
    assert first["total"] == 1


@pytest.mark.postgres_only(reason="the table-size estimate exists on PostgreSQL")
@pytest.mark.django_db
def test_stats_of_a_large_table_are_kept_where_every_web_process_reads_them(integration_client):
    LeadFactory()  # the suite runs without CACHE_URL: the shared cache is the database's
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pg_class SET reltuples = 2000000 WHERE oid = 'leads_lead'::regclass")

    first = integration_client.get(URL).json()

    [entry] = SharedCacheEntry.objects.all()  # the database, not this process's memory
    assert entry.cache_key.endswith(STATS_CACHE_KEY)
    assert caches["shared"].get(STATS_CACHE_KEY) == first


@pytest.mark.django_db
def test_stats_of_a_small_table_are_always_fresh(integration_client):
    LeadFactory()
    integration_client.get(URL)

    LeadFactory()

    assert integration_client.get(URL).json()["total"] == 2


@pytest.mark.django_db
def test_stats_cost_a_fixed_number_of_queries_whatever_the_number_of_leads(
    integration_client, attorney, django_assert_max_num_queries
):
    for lead in LeadFactory.create_batch(30):
        services.reach_out(lead=lead, by=attorney)

    # 1 the token with its user and permission names, 2 the user throttle's upsert; then on
    # PostgreSQL 3 the table's size (past the bound the figures come from the cache) and 4 one
    # aggregate with every figure, the median included; SQLite has no median, so there 3 is
    # the aggregate and the waits are counted (4) and read (5) to take it in Python.
    # And the leads per practice area: one GROUP BY (5 / 6).
    with django_assert_max_num_queries(5 if connection.vendor == "postgresql" else 6):
        response = integration_client.get(URL)

    assert response.json()["REACHED_OUT"] == 30
