"""The conversion report from its rollup (issue 27): every answer equals the report read
afresh from the leads, before and after the worker folds, whatever attorneys did meanwhile."""

import random
import statistics
import threading
import uuid
from datetime import UTC, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from accounts.tests.factories import AttorneyFactory
from leads import rollup, selectors, services
from leads.models import ConversionFold, ConversionRollup, ConversionStaleDay, Lead, PracticeArea
from leads.tests.factories import LeadFactory
from leads.tests.test_speed_to_lead_workers import wait_until
from leads.tests.test_workers import smtp, workers_running  # noqa: F401
from leads.worker import fanout

BY = ("source", "assigned_to", "practice_area")
COUNTED = ("key", "leads", "open", "reached_out", "retained", "declined", "referred", "no_response")
COUNTED += ("conversion_rate",)


def assert_same_report(by, **window):
    """The report equals the one read afresh: counts exactly, medians within the rollup's
    precision (1.1% of 1 + the median)."""
    served = selectors.conversion(by=by, **window)
    fresh = selectors._conversion(by, window.get("created_after"), window.get("created_before"))
    assert [[getattr(row, name) for name in COUNTED] for row in served] == [
        [getattr(row, name) for name in COUNTED] for row in fresh
    ]
    for got, want in zip(served, fresh, strict=True):
        for name in ("median_seconds_to_reach_out", "median_seconds_to_close"):
            expected = getattr(want, name)
            if expected is None:
                assert getattr(got, name) is None
            else:
                assert getattr(got, name) == pytest.approx(expected, abs=0.011 * (1 + expected))


def assert_same_reports(**window):
    for by in BY:
        assert_same_report(by, **window)


@pytest.fixture
def colleague(db):
    return AttorneyFactory()


@pytest.fixture
def history(attorney, colleague):
    """Leads over the last 40 days, of three sources, two assignees and two practice areas,
    some reached out and some closed after waits from minutes to days."""
    family = PracticeArea.objects.create(name="Family law", slug="family")
    crime = PracticeArea.objects.create(name="Criminal law", slug="crime")
    now = timezone.now()
    leads = []
    for n in range(60):
        created = now - timedelta(days=n % 40 + 1, minutes=37 * n)
        lead = LeadFactory(
            created_at=created,
            source=("google", "referral", "")[n % 3],
            assigned_to=(attorney, colleague, None)[n % 3 if n % 4 else 2],
            practice_area=(family, crime, None)[n % 5 % 3],
        )
        if n % 2:
            reached = created + timedelta(minutes=5 + 41 * n)
            Lead.objects.filter(pk=lead.pk).update(
                status=Lead.Status.REACHED_OUT, reached_out_at=reached, reached_out_by=attorney
            )
        if n % 3 == 0:
            outcome = ("RETAINED", "DECLINED", "REFERRED", "NO_RESPONSE")[n % 4]
            Lead.objects.filter(pk=lead.pk).update(
                status=outcome, closed_at=created + timedelta(hours=1 + n), status_before_close="PENDING"
            )
        leads.append(Lead.objects.get(pk=lead.pk))
    return leads


def old_open_lead(leads):
    return next(lead for lead in leads if lead.status == Lead.Status.PENDING)


@pytest.mark.django_db
def test_before_any_fold_the_report_reads_every_lead_live_and_equals_the_fresh_one(history):
    assert ConversionRollup.objects.count() == 0

    assert_same_reports()


@pytest.mark.django_db
def test_after_the_fold_the_report_equals_the_fresh_one(history):
    rollup.fold()

    assert ConversionRollup.objects.exists()
    assert_same_reports()


@pytest.mark.django_db
def test_the_fold_folds_every_whole_day_and_the_day_under_way_up_to_its_cut():
    LeadFactory(created_at=timezone.now() - timedelta(days=3))
    today = timezone.now().astimezone(UTC).date()
    noon = rollup.midnight(today) + timedelta(hours=12)

    rollup.fold(now=noon)

    state = ConversionFold.objects.get()
    assert (state.folded_until, state.cut) == (today, noon - rollup.FOLD_MARGIN)


@pytest.mark.django_db
def test_the_fold_leaves_the_last_minutes_for_their_intakes_to_commit():
    LeadFactory(created_at=timezone.now() - timedelta(days=3))
    today = timezone.now().astimezone(UTC).date()

    rollup.fold(now=rollup.midnight(today) + timedelta(minutes=10))

    state = ConversionFold.objects.get()
    assert state.folded_until == today - timedelta(days=1)
    assert state.cut == rollup.midnight(today) - timedelta(minutes=5)


@pytest.mark.django_db
def test_late_in_the_day_the_report_reads_only_the_leads_since_the_cut_live(history):
    now = timezone.now()
    today = now.astimezone(UTC).date()
    earlier = [LeadFactory(source="google", created_at=now - timedelta(minutes=m)) for m in (20, 40, 60)]
    earlier = [lead for lead in earlier if lead.created_at.astimezone(UTC).date() == today]
    rollup.fold()
    LeadFactory(source="google")  # since the cut: read live

    folded = ConversionRollup.objects.filter(dimension="source", key="google", day=today).first()
    assert (folded.figures["n"][0] if folded else 0) == len(earlier)
    assert_same_reports()


@pytest.mark.django_db
def test_the_day_under_way_is_folded_again_every_few_minutes_not_every_pass(history):
    now = timezone.now()
    rollup.fold(now=now)

    assert rollup.fold(now=now + timedelta(minutes=1)) == 0
    assert rollup.fold(now=now + rollup.TODAY_EVERY + timedelta(minutes=1)) >= 1
    assert (
        ConversionFold.objects.get().cut
        == now + rollup.TODAY_EVERY + timedelta(minutes=1) - rollup.FOLD_MARGIN
    )


@pytest.mark.django_db
def test_a_long_history_is_folded_a_quarter_at_a_time():
    LeadFactory(created_at=timezone.now() - timedelta(days=400))

    assert rollup.fold() == rollup.FOLD_DAYS
    rollup.rebuild()

    until = (timezone.now() - rollup.FOLD_MARGIN).astimezone(UTC).date()
    assert ConversionFold.objects.get().folded_until == until
    assert_same_reports()


@pytest.mark.django_db
def test_a_second_fold_with_nothing_due_folds_nothing(history):
    rollup.fold()

    assert rollup.fold() == 0


def reach_out(leads, attorney, colleague):
    services.reach_out(lead=old_open_lead(leads), by=attorney)


def close(leads, attorney, colleague):
    services.close_lead(lead=old_open_lead(leads), outcome="RETAINED", by=attorney)


def reopen(leads, attorney, colleague):
    closed = next(lead for lead in leads if lead.status == Lead.Status.RETAINED)
    services.reopen_lead(lead=closed, by=attorney)


def patch_status(leads, attorney, colleague):
    services.update_lead(lead=old_open_lead(leads), by=attorney, status="NO_RESPONSE")


def assign(leads, attorney, colleague):
    lead = next(lead for lead in leads if lead.assigned_to_id is None)
    services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=colleague, by=attorney)


def assign_late_on_intake(leads, attorney, colleague):
    # The round-robin pick (by the system) of a worker that comes back after midnight.
    lead = next(lead for lead in leads if lead.assigned_to_id is None)
    fanout.assign_and_announce(Lead.objects.filter(pk=lead.pk), to=attorney, by=None)


def unassign(leads, attorney, colleague):
    lead = next(lead for lead in leads if lead.assigned_to_id == attorney.pk)
    services.update_lead(lead=lead, by=attorney, assigned_to=None)


def trash(leads, attorney, colleague):
    services.trash_leads(leads=Lead.objects.filter(pk__in=[leads[0].pk, leads[7].pk]), by=attorney)


def restore(leads, attorney, colleague):
    # Trashed before the fold, restored after it.
    services.restore_leads(leads=Lead.trash.all(), by=attorney)


def erase(leads, attorney, colleague):
    services.erase_prospect(email=leads[5].email)


ACTIONS = [
    reach_out,
    close,
    reopen,
    patch_status,
    assign,
    assign_late_on_intake,
    unassign,
    trash,
    restore,
    erase,
]


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.__name__)
def test_an_action_on_a_folded_day_shows_at_once_and_after_the_next_fold(
    history, attorney, colleague, action
):
    services.trash_leads(leads=Lead.objects.filter(pk=history[10].pk), by=attorney)
    rollup.fold()

    action(history, attorney, colleague)

    assert ConversionStaleDay.objects.exists()
    assert_same_reports()
    rollup.fold()
    assert not ConversionStaleDay.objects.exists()
    assert_same_reports()


@pytest.mark.django_db
def test_a_lead_submitted_today_counts_at_once_and_marks_nothing(history):
    rollup.fold()

    LeadFactory(source="google")

    assert not ConversionStaleDay.objects.exists()
    assert_same_reports()


@pytest.mark.django_db
def test_an_action_on_a_lead_of_the_day_under_ways_fold_shows_at_once_and_after_the_next_fold(attorney):
    lead = LeadFactory(created_at=timezone.now() - timedelta(minutes=30))
    rollup.fold()

    services.close_lead(lead=lead, outcome="RETAINED", by=attorney)

    assert ConversionStaleDay.objects.exists()
    assert_same_reports()
    rollup.fold()
    assert not ConversionStaleDay.objects.exists()
    assert_same_reports()


@pytest.mark.django_db
def test_a_lead_the_worker_makes_late_for_its_submission_marks_its_day(history):
    rollup.fold()
    sent = timezone.now() - timedelta(hours=30)  # a day already folded
    application = {
        "lead_id": str(uuid.uuid4()),
        "first_name": "Ada",
        "last_name": "L",
        "address": "ada@example.com",
        "email": "ada@example.com",
        "submitted_at": sent.isoformat(),
        "source": "google",
        "referrer": "",
        "language": "en",
        "resume": "resumes/late.pdf",
    }

    fanout.lead_from(application)

    assert ConversionStaleDay.objects.filter(day=sent.astimezone(UTC).date()).exists()
    assert_same_reports()


@pytest.mark.django_db
def test_a_window_with_partial_first_and_last_days_equals_the_fresh_report(history):
    rollup.fold()
    services.reach_out(lead=old_open_lead(history), by=history[0].assigned_to or AttorneyFactory())
    now = timezone.now()

    assert_same_reports(
        created_after=now - timedelta(days=30, hours=5), created_before=now - timedelta(days=3, hours=7)
    )


@pytest.mark.django_db
def test_a_window_of_whole_days_equals_the_fresh_report(history):
    rollup.fold()
    today = timezone.now().astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    assert_same_reports(created_after=today - timedelta(days=20), created_before=today - timedelta(days=5))


@pytest.mark.django_db
def test_a_window_inside_one_day_equals_the_fresh_report(history):
    rollup.fold()
    created = history[4].created_at

    assert_same_reports(
        created_after=created - timedelta(minutes=1), created_before=created + timedelta(minutes=1)
    )


@pytest.mark.django_db
def test_trashed_leads_never_count_folded_or_live(history, attorney):
    services.trash_leads(leads=Lead.objects.filter(source="google"), by=attorney)
    rollup.fold()
    LeadFactory(source="google")
    services.trash_leads(leads=Lead.objects.filter(source="google"), by=attorney)

    keys = [row.key for row in selectors.conversion(by="source")]

    assert "google" not in keys


@pytest.mark.django_db
def test_a_folded_median_is_within_the_documented_precision():
    created = timezone.now() - timedelta(days=2)
    for minutes in (7, 61, 1_000, 1_001, 5_000):
        LeadFactory(
            created_at=created, reached_out_at=created + timedelta(minutes=minutes), status="REACHED_OUT"
        )
    rollup.fold()

    (row,) = selectors.conversion(by="source")

    assert row.median_seconds_to_reach_out == pytest.approx(1_000 * 60, rel=0.011)


@pytest.mark.django_db
def test_the_report_keys_assignees_by_their_username_now(history, attorney):
    rollup.fold()
    attorney.username = "renamed"
    attorney.save(update_fields=["username"])

    keys = {row.key for row in selectors.conversion(by="assigned_to")}

    assert "renamed" in keys


@pytest.mark.django_db
def test_rebuild_folds_leads_written_around_the_services(history):
    rollup.fold()
    LeadFactory(source="imported", created_at=timezone.now() - timedelta(days=9))

    call_command("fold_conversion", "--rebuild", stdout=None)

    assert not ConversionStaleDay.objects.exists()
    assert "imported" in [row.key for row in selectors.conversion(by="source")]
    assert_same_reports()


@pytest.mark.django_db
def test_the_report_costs_the_same_queries_after_folds_and_marks(
    history, attorney, django_assert_max_num_queries
):
    rollup.fold()
    services.close_lead(lead=old_open_lead(history), outcome="RETAINED", by=attorney)
    LeadFactory(source="google")
    now = timezone.now()

    # the fold's state and the marks: 1; the sums through the window's ends: 1 (SQLite 2);
    # the stale day's folded figures: 1; the live leads, the stale day's included: 1; the
    # usernames: 1.
    with django_assert_max_num_queries(6):
        selectors.conversion(by="assigned_to", created_after=now - timedelta(days=30, hours=3))


@pytest.mark.postgres_only(reason="two workers folding at once: SKIP LOCKED is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_running_workers_fold_the_marked_days_and_the_report_stays_equal(smtp):  # noqa: F811
    _, port = smtp
    attorney = AttorneyFactory()
    leads = [
        LeadFactory(source="google", created_at=timezone.now() - timedelta(days=n + 1)) for n in range(6)
    ]
    rollup.fold()
    services.close_lead(lead=leads[2], outcome="RETAINED", by=attorney)
    services.reach_out(lead=leads[4], by=attorney)
    assert ConversionStaleDay.objects.count() == 2

    with workers_running(("worker-a", "worker-b"), port, FOLLOW_UP_INTERVAL_SECONDS="0.05"):
        wait_until(lambda: not ConversionStaleDay.objects.exists())

    assert_same_reports()
    assert [row.retained for row in selectors.conversion(by="source")] == [1]


@pytest.mark.django_db
def test_a_deleted_assignees_folded_leads_count_as_nobodys(history, colleague):
    rollup.fold()

    colleague.delete()

    assert colleague.username not in {row.key for row in selectors.conversion(by="assigned_to")}
    assert_same_report("assigned_to")


@pytest.mark.django_db
def test_marking_a_queryset_that_can_match_nothing_marks_nothing():
    # What erasing an address that only trapped submissions have passes on (pk__in=[]).
    rollup.mark_changed(Lead.all_objects.filter(pk__in=[]))

    assert not ConversionStaleDay.objects.exists()


@pytest.mark.parametrize("seed", range(20))
def test_a_median_of_folded_buckets_and_live_waits_is_the_middle_of_them_all(seed):
    rng = random.Random(seed)
    exact = [rng.uniform(0, 10**6) for _ in range(rng.randrange(0, 9))]
    bucketed = [rng.uniform(0, 10**6) for _ in range(rng.randrange(0, 9))]
    folded = [rng.uniform(0, 10**6) for _ in range(rng.randrange(1, 40))]
    tally, live = rollup.Tally(), rollup.Tally()
    for value in folded:
        live.add_lead("REACHED_OUT", value, None, exact=False)
    tally.add(live.stored())
    for value in bucketed:
        tally.add_lead("REACHED_OUT", value, None, exact=False)
    for value in exact:
        tally.add_lead("REACHED_OUT", value, None, exact=True)

    every = sorted(exact + [rollup.bucket_value(rollup.bucket_of(v)) for v in bucketed + folded])

    assert tally.median_to_reach_out() == pytest.approx(statistics.median(every))


@pytest.mark.postgres_only(reason="a fold waiting on a row another transaction holds: PostgreSQL's locking")
@pytest.mark.django_db(transaction=True)
def test_a_mark_made_while_the_fold_runs_outlives_the_fold():
    attorney = AttorneyFactory()
    lead = LeadFactory(source="google", created_at=timezone.now() - timedelta(days=3))
    other = LeadFactory(source="google", created_at=lead.created_at + timedelta(minutes=1))
    rollup.fold()
    services.reach_out(lead=lead, by=attorney)  # marks the day: version 1
    marked, release = threading.Event(), threading.Event()

    def close_the_other_lead():  # marks the day again (version 2), committed only on release
        try:
            with transaction.atomic():
                services.close_lead(lead=other, outcome="RETAINED", by=attorney)
                marked.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    def fold():
        try:
            rollup.fold()
        finally:
            connection.close()

    closing, folding = threading.Thread(target=close_the_other_lead), threading.Thread(target=fold)
    closing.start()
    assert marked.wait(timeout=60)
    folding.start()
    # The fold read version 1 and folded the day without the closing; its removal of the
    # mark waits for the closing's transaction, which then commits version 2.
    wait_until(lambda: waiting_on_a_lock("leads_conversionstaleday"))
    release.set()
    closing.join(timeout=60)
    folding.join(timeout=60)

    assert ConversionStaleDay.objects.get().version == 2
    assert_same_reports()
    rollup.fold()
    assert not ConversionStaleDay.objects.exists()
    assert [row.retained for row in selectors.conversion(by="source")] == [1]


def waiting_on_a_lock(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            [f"%{table}%"],
        )
        return cursor.fetchone()[0] > 0
