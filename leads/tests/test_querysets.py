from datetime import timedelta

import pytest
from django.utils import timezone

from leads import selectors, services
from leads.models import Delivery, Lead
from leads.tests.factories import LeadFactory
from leads.tests.queries import plan_of

pytestmark = pytest.mark.django_db


def test_by_email_ignores_letter_case_and_spaces():
    lead = LeadFactory(email="Jane.Doe@Example.com")

    assert Lead.objects.by_email(" jane.doe@EXAMPLE.COM ") == lead


def test_by_email_finds_the_lead_under_a_fullwidth_spelling_of_its_domain():
    lead = LeadFactory(email="jane.doe@example.com")

    assert Lead.objects.by_email("Jane.Doe@\uff45xample.com") == lead


def test_by_email_finds_a_non_ascii_domain_by_its_idna_spelling():
    lead = LeadFactory(email="jane@éxample.com")

    assert Lead.objects.by_email("JANE@xn--xample-9ua.com") == lead


@pytest.mark.postgres_only(reason="PostgreSQL's plans")
def test_by_email_is_one_probe_of_the_unique_key_index():
    LeadFactory(email="jane@example.com")

    assert "lead_email_key_unique" in plan_of(lambda: Lead.objects.by_email("Jane@Example.com"))


@pytest.mark.postgres_only(reason="PostgreSQL's plans")
def test_the_daily_email_count_is_served_by_the_recipient_key_index():
    since = timezone.now() - timedelta(days=1)

    plan = plan_of(lambda: Delivery.objects.emails_to("Jane@Example.com", since=since).count())

    assert "delivery_recipient_key_idx" in plan


def test_by_email_returns_none_for_unknown_email():
    LeadFactory()

    assert Lead.objects.by_email("nobody@example.com") is None


def test_with_status_keeps_only_that_status(attorney):
    pending = LeadFactory()
    reached = LeadFactory()
    services.reach_out(lead=reached, by=attorney)

    assert list(Lead.objects.with_status(Lead.Status.PENDING)) == [pending]
    assert list(Lead.objects.with_status(Lead.Status.REACHED_OUT)) == [reached]


@pytest.mark.parametrize("query", ["marga", "WHITT", "@lawyers.test"])
def test_search_matches_first_name_last_name_or_email_in_any_case(query):
    match = LeadFactory(first_name="Margaret", last_name="Whittaker", email="mw@lawyers.test")
    LeadFactory(first_name="Tom", last_name="Brown", email="tom@example.com")

    assert list(Lead.objects.search(query)) == [match]


def test_search_with_blank_query_returns_everything():
    LeadFactory.create_batch(2)

    assert Lead.objects.search("  ").count() == 2


def test_recent_returns_the_newest_first_limited_to_n():
    now = timezone.now()
    old, middle, new = (LeadFactory(created_at=now - timedelta(days=d)) for d in (3, 2, 1))

    assert list(Lead.objects.recent(2)) == [new, middle]
    assert old not in Lead.objects.recent(2)


def test_count_by_status_includes_zero_statuses():
    LeadFactory.create_batch(2)

    assert Lead.objects.count_by_status() == {**dict.fromkeys(Lead.Status.values, 0), "PENDING": 2}


def test_count_by_status_runs_one_query(django_assert_num_queries, attorney):
    LeadFactory.create_batch(3)
    services.reach_out(lead=LeadFactory(), by=attorney)

    with django_assert_num_queries(1):
        counts = Lead.objects.count_by_status()

    assert counts == {**dict.fromkeys(Lead.Status.values, 0), "PENDING": 3, "REACHED_OUT": 1}


def test_estimated_count_of_a_small_list_is_exact_in_one_query(django_assert_num_queries, attorney):
    LeadFactory.create_batch(3)
    services.reach_out(lead=LeadFactory(), by=attorney)

    with django_assert_num_queries(1):
        counted = Lead.objects.with_status(Lead.Status.PENDING).estimated_count()

    assert counted == (3, False)


def test_estimated_count_of_an_empty_table_is_zero():
    assert Lead.objects.estimated_count() == (0, False)


def test_page_with_count_returns_the_slice_and_the_total_in_one_query(django_assert_num_queries):
    now = timezone.now()
    leads = [LeadFactory(created_at=now - timedelta(minutes=i)) for i in range(5)]

    with django_assert_num_queries(1):
        rows, count, is_estimate = Lead.objects.newest_first().page_with_count(2, 4)

    assert rows == leads[2:4]
    assert (count, is_estimate) == (5, False)


def test_page_with_count_of_a_filter_counts_only_the_filter(attorney):
    LeadFactory.create_batch(3)
    reached = services.reach_out(lead=LeadFactory(), by=attorney)

    rows, count, _ = Lead.objects.with_status(Lead.Status.REACHED_OUT).page_with_count(0, 10)

    assert rows == [reached]
    assert count == 1


def test_page_with_count_past_the_end_is_empty_and_still_counts(django_assert_num_queries):
    LeadFactory.create_batch(3)

    # The page has no row to carry the count, so the count is a query of its own.
    with django_assert_num_queries(2):
        assert Lead.objects.newest_first().page_with_count(8, 10) == ([], 3, False)


def test_summary_counts_each_status_and_spans_the_creation_times_in_one_query(
    django_assert_num_queries, attorney
):
    now = timezone.now()
    first = LeadFactory(created_at=now - timedelta(days=400))
    last = LeadFactory(created_at=now)
    services.reach_out(lead=LeadFactory(created_at=now - timedelta(days=1)), by=attorney)

    with django_assert_num_queries(1):
        summary = selectors.lead_summary()

    assert summary.counts == {**dict.fromkeys(Lead.Status.values, 0), "PENDING": 2, "REACHED_OUT": 1}
    assert (summary.total, summary.is_estimate) == (3, False)
    assert (summary.first_created_at, summary.last_created_at) == (first.created_at, last.created_at)


def test_summary_of_no_leads_is_zeros_without_dates():
    summary = selectors.lead_summary()

    assert summary.counts == dict.fromkeys(Lead.Status.values, 0)
    assert summary.first_created_at is None


@pytest.mark.postgres_only(reason="percentile_cont is PostgreSQL's")
def test_stats_read_the_leads_in_one_pass_on_postgresql(django_assert_num_queries, attorney):
    now = timezone.now()
    LeadFactory(created_at=now - timedelta(hours=50))
    reached = services.reach_out(lead=LeadFactory(created_at=now - timedelta(hours=3)), by=attorney)
    Lead.objects.filter(pk=reached.pk).update(reached_out_at=reached.created_at + timedelta(hours=2))

    # The table's size (a large one is cached), one aggregate for every figure, and one
    # GROUP BY for the leads per practice area.
    with django_assert_num_queries(3):
        stats = selectors.lead_stats()

    assert stats == {
        **dict.fromkeys(Lead.Status.values, 0),
        "PENDING": 1,
        "REACHED_OUT": 1,
        "total": 2,
        "median_seconds_to_reach_out": 7200.0,
        "pending_older_than_48h": 1,
        "practice_areas": {"none": 2},
    }


def test_pending_older_than_skips_recent_and_reached_out_leads(attorney):
    now = timezone.now()
    stale = LeadFactory(created_at=now - timedelta(hours=49))
    LeadFactory(created_at=now - timedelta(hours=47))
    services.reach_out(lead=LeadFactory(created_at=now - timedelta(days=5)), by=attorney)

    assert list(Lead.objects.pending_older_than(timedelta(hours=48))) == [stale]


def test_median_seconds_to_reach_out_is_none_without_reach_outs():
    LeadFactory()

    assert selectors.median_seconds_to_reach_out(Lead.objects.all()) is None


def test_median_seconds_to_reach_out_averages_the_middle_two(attorney):
    now = timezone.now()
    for hours in (1, 2, 4, 10):
        lead = LeadFactory(created_at=now - timedelta(hours=hours))
        services.reach_out(lead=lead, by=attorney)
        Lead.objects.filter(pk=lead.pk).update(reached_out_at=now)

    assert selectors.median_seconds_to_reach_out(Lead.objects.all()) == pytest.approx(3 * 3600, abs=1)


def test_median_seconds_to_reach_out_takes_the_middle_of_an_odd_count(attorney):
    now = timezone.now()
    for hours in (1, 5, 9):
        lead = LeadFactory(created_at=now - timedelta(hours=hours))
        Lead.objects.filter(pk=lead.pk).update(reached_out_at=now, status=Lead.Status.REACHED_OUT)

    assert selectors.median_seconds_to_reach_out(Lead.objects.all()) == pytest.approx(5 * 3600, abs=1)


def test_an_empty_list_is_paged_and_counted_without_asking_the_database(django_assert_num_queries):
    LeadFactory()

    with django_assert_num_queries(0):
        assert Lead.objects.none().page_with_count(20, 40) == ([], 0, False)
        assert Lead.objects.none().estimated_count() == (0, False)
