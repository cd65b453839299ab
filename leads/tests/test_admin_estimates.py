"""Above 10,000 leads on PostgreSQL the admin shows the planner's counts, never COUNT(*)."""

import pytest
from django.db import connection

from leads.estimates import EXACT_COUNT_LIMIT, MAX_PAGES, EstimatedCountPaginator, estimated_count
from leads.models import Lead

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the estimates come from PostgreSQL's statistics"
    ),
    pytest.mark.django_db,
]

MANY = 2 * EXACT_COUNT_LIMIT + 500


@pytest.fixture
def many_leads():
    """More leads than are ever counted exactly, a fifth of them reached out, analysed."""
    Lead.objects.bulk_create(
        Lead(
            first_name="Many",
            last_name=f"Lead{n}",
            email=f"many{n}@example.com",
            resume="resumes/none.pdf",
            status=Lead.Status.REACHED_OUT if n % 5 == 0 else Lead.Status.PENDING,
        )
        for n in range(MANY)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")


def test_the_unfiltered_total_is_the_tables_estimate(many_leads):
    count, is_estimate = estimated_count(Lead.objects.all())

    assert is_estimate
    assert count == pytest.approx(MANY, rel=0.05)


def test_a_small_filtered_count_stays_exact(many_leads):
    assert estimated_count(Lead.objects.search("Lead1234")) == (11, False)


def test_a_large_filtered_count_is_the_plans_estimate(many_leads):
    count, is_estimate = estimated_count(Lead.objects.with_status(Lead.Status.PENDING))

    assert is_estimate
    assert count == pytest.approx(MANY * 4 / 5, rel=0.1)


def test_page_links_stop_at_the_cap(many_leads):
    paginator = EstimatedCountPaginator(Lead.objects.newest_first(), per_page=10)

    assert paginator.num_pages == MAX_PAGES
    assert paginator.is_truncated


def test_the_list_says_its_counts_are_estimates(many_leads, attorney_client):
    body = attorney_client.get("/admin/leads/lead/").content.decode()

    assert body.count(">about</") >= 2  # the counts per status and the total
