"""Above 10,000 leads on PostgreSQL the lists show the planner's counts, never a COUNT(*) of
the table, and still fetch a page and its count in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads import selectors
from leads.counting import EXACT_COUNT_LIMIT, MAX_DEPTH, ListPaginator
from leads.models import Lead

pytestmark = [
    pytest.mark.postgres_only(reason="the estimates come from PostgreSQL's statistics"),
    pytest.mark.django_db,
]

# PENDING (four in five) past twice the limit, REACHED_OUT (one in five) within it.
MANY = 3 * EXACT_COUNT_LIMIT + 500


@pytest.fixture(scope="module")
def many_leads(django_db_setup, django_db_blocker):
    """More leads than are ever counted exactly, a fifth of them reached out, analysed.

    Committed once for the module (30,000 rows take seconds), removed at its end.
    """
    with django_db_blocker.unblock():
        Lead.objects.bulk_create(
            Lead(
                first_name="Many",
                last_name=f"Lead{n}",
                email=f"many{n}@example.com",
                email_key=f"many{n}@example.com",
                resume="resumes/none.pdf",
                status=Lead.Status.REACHED_OUT if n % 5 == 0 else Lead.Status.PENDING,
            )
            for n in range(MANY)
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE leads_lead")
        yield
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE leads_lead CASCADE")


def leads_queries(captured) -> list[str]:
    return [query["sql"] for query in captured if "leads_lead" in query["sql"]]


def test_the_unfiltered_total_is_the_tables_estimate(many_leads):
    count, is_estimate = Lead.objects.estimated_count()

    assert is_estimate
    assert count == pytest.approx(MANY, rel=0.05)


def test_a_small_filtered_count_stays_exact(many_leads):
    assert Lead.objects.search("Lead1234").estimated_count() == (11, False)


def test_a_large_status_count_is_its_share_of_the_table_in_the_page_query(
    many_leads, django_assert_num_queries
):
    with django_assert_num_queries(1):
        rows, count, is_estimate = Lead.objects.with_status(Lead.Status.PENDING).page_with_count(0, 20)

    assert len(rows) == 20
    assert is_estimate
    assert count == pytest.approx(MANY * 4 / 5, rel=0.05)


def reach_out_every_pending_lead_but(kept: int) -> None:
    """A mass change since the last ANALYZE (inside the test's transaction): the statistics
    still say four in five are pending."""
    keep = Lead.objects.with_status(Lead.Status.PENDING).values("pk")[:kept]
    Lead.objects.with_status(Lead.Status.PENDING).exclude(pk__in=keep).update(status=Lead.Status.REACHED_OUT)


def test_a_status_its_statistics_put_far_past_the_limit_is_not_counted(many_leads):
    # Since the last ANALYZE all but 100 pending leads were reached out: a count would find
    # 100, the statistics still say four in five. Taken as they are, uncounted.
    reach_out_every_pending_lead_but(100)

    _, count, is_estimate = Lead.objects.with_status(Lead.Status.PENDING).page_with_count(0, 20)

    assert is_estimate
    assert count == pytest.approx(MANY * 4 / 5, rel=0.05)


def test_a_short_page_is_its_own_count_whatever_the_statistics_say(many_leads):
    reach_out_every_pending_lead_but(7)

    rows, count, is_estimate = Lead.objects.with_status(Lead.Status.PENDING).page_with_count(0, 20)

    assert (len(rows), count, is_estimate) == (7, 7, False)


def test_a_status_its_statistics_put_within_twice_the_limit_is_counted(many_leads):
    # One in five reached out: 6,100 by the statistics, under twice the limit, so counted.
    _, count, is_estimate = Lead.objects.with_status(Lead.Status.REACHED_OUT).page_with_count(0, 20)

    assert (count, is_estimate) == (len(range(0, MANY, 5)), False)


def test_a_large_count_of_another_filter_is_the_plans_estimate(many_leads, django_assert_num_queries):
    # The bounded count stops at the limit; EXPLAIN, a second query, estimates the rest.
    with django_assert_num_queries(2):
        rows, count, is_estimate = Lead.objects.search("Many").page_with_count(0, 20)

    assert len(rows) == 20
    assert is_estimate
    assert count > EXACT_COUNT_LIMIT


def test_a_filter_found_past_the_limit_is_not_counted_again_on_its_next_page(many_leads):
    Lead.objects.search("Many").page_with_count(0, 20)

    with CaptureQueriesContext(connection) as captured:
        rows, count, is_estimate = Lead.objects.search("Many").page_with_count(20, 40)

    assert (len(rows), is_estimate) == (20, True)
    assert count > EXACT_COUNT_LIMIT
    assert not [sql for sql in leads_queries(captured) if "COUNT(" in sql]


def test_a_filter_found_past_the_limit_costs_its_next_page_one_query_and_no_explain(many_leads):
    _, first_count, _ = Lead.objects.search("Many").page_with_count(0, 20)

    with CaptureQueriesContext(connection) as captured:
        rows, count, is_estimate = Lead.objects.search("Many").page_with_count(20, 40)

    assert (len(rows), count, is_estimate) == (20, first_count, True)
    assert len(leads_queries(captured)) == 1
    assert not [sql for sql in leads_queries(captured) if sql.startswith("EXPLAIN")]


def test_a_filter_found_past_the_limit_is_not_counted_again_by_estimated_count(many_leads):
    Lead.objects.search("Many").page_with_count(0, 20)

    with CaptureQueriesContext(connection) as captured:
        count, is_estimate = Lead.objects.search("Many").estimated_count()

    assert is_estimate
    assert count > EXACT_COUNT_LIMIT
    assert not [sql for sql in leads_queries(captured) if "COUNT(" in sql]


def test_a_filter_within_the_limit_is_counted_exactly_every_time(many_leads):
    Lead.objects.search("Lead1234").page_with_count(0, 20)

    with CaptureQueriesContext(connection) as captured:
        _, count, is_estimate = Lead.objects.search("Lead1234").page_with_count(0, 20)

    assert (count, is_estimate) == (11, False)
    assert [sql for sql in leads_queries(captured) if "COUNT(" in sql]


def test_the_summary_of_a_large_table_estimates_each_status(many_leads):
    summary = selectors.lead_summary()

    assert summary.is_estimate
    assert summary.counts["PENDING"] == pytest.approx(MANY * 4 / 5, rel=0.05)
    assert summary.counts["REACHED_OUT"] == pytest.approx(MANY / 5, rel=0.05)


def test_page_links_stop_at_the_depth(many_leads):
    paginator = ListPaginator(Lead.objects.newest_first(), per_page=50)
    paginator.page(1)

    assert paginator.num_pages == MAX_DEPTH // 50
    assert paginator.is_truncated


def test_the_admin_list_says_its_counts_are_estimates(many_leads, attorney_client):
    body = attorney_client.get("/admin/leads/lead/").content.decode()

    assert body.count(">about</") >= 2  # the counts per status and the total


def test_the_api_list_past_the_limit_fetches_its_page_and_count_in_one_query(
    many_leads, integration_client, django_assert_max_num_queries
):
    # The token with its user, the user's own and group permissions, then one query that
    # reads leads: the page, with pg_stats' share of PENDING as its count.
    with django_assert_max_num_queries(4) as captured:
        body = integration_client.get("/api/v1/leads/", {"status": "PENDING"}).json()

    assert len(leads_queries(captured)) == 1
    assert body["count"] == pytest.approx(MANY * 4 / 5, rel=0.05)
