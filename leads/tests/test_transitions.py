import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from accounts.tests.factories import AttorneyFactory
from leads.models import Lead, StatusChange
from leads.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def test_mark_reached_out_records_time_and_attorney(attorney):
    lead = LeadFactory()
    before = timezone.now()

    Lead.objects.mark_reached_out(lead, by=attorney)

    assert lead.status == Lead.Status.REACHED_OUT
    assert lead.reached_out_by == attorney
    assert before <= lead.reached_out_at <= timezone.now()


def test_mark_reached_out_writes_one_history_row(attorney):
    lead = LeadFactory()

    Lead.objects.mark_reached_out(lead, by=attorney)

    change = StatusChange.objects.get(lead=lead)
    assert (change.from_status, change.to_status, change.changed_by) == ("PENDING", "REACHED_OUT", attorney)
    assert change.changed_at == lead.reached_out_at


def test_mark_reached_out_twice_keeps_the_first_time_and_attorney(attorney):
    lead = LeadFactory()
    Lead.objects.mark_reached_out(lead, by=attorney)
    first_time = lead.reached_out_at

    Lead.objects.mark_reached_out(lead, by=AttorneyFactory())

    assert lead.reached_out_at == first_time
    assert lead.reached_out_by == attorney
    assert StatusChange.objects.filter(lead=lead).count() == 1


def test_reopened_lead_reached_again_keeps_the_first_reach_out_time(attorney):
    lead = LeadFactory()
    Lead.objects.mark_reached_out(lead, by=attorney)
    first_time = lead.reached_out_at

    Lead.objects.mark_pending(lead, by=attorney)
    Lead.objects.mark_reached_out(lead, by=attorney)

    assert lead.status == Lead.Status.REACHED_OUT
    assert lead.reached_out_at == first_time
    assert list(StatusChange.objects.filter(lead=lead).values_list("to_status", flat=True)) == [
        "REACHED_OUT",
        "PENDING",
        "REACHED_OUT",
    ]


def test_mark_pending_on_a_pending_lead_changes_nothing(attorney):
    lead = LeadFactory()

    Lead.objects.mark_pending(lead, by=attorney)

    assert not StatusChange.objects.exists()


def test_mark_all_reached_out_counts_only_pending_leads(attorney):
    LeadFactory.create_batch(3)
    Lead.objects.mark_reached_out(LeadFactory(), by=attorney)

    changed = Lead.objects.all().mark_all_reached_out(by=attorney)

    assert changed == 3
    assert Lead.objects.count_by_status()["PENDING"] == 0
    assert Lead.objects.count_by_status()["REACHED_OUT"] == 4
    assert StatusChange.objects.count() == 4


def test_mark_all_reached_out_uses_a_constant_number_of_queries(attorney, django_assert_max_num_queries):
    LeadFactory.create_batch(30)

    # savepoint, SELECT … FOR UPDATE, UPDATE, INSERT of the history rows, release
    with django_assert_max_num_queries(5):
        Lead.objects.all().mark_all_reached_out(by=attorney)


def test_mark_all_reached_out_respects_the_queryset_filter(attorney):
    old = LeadFactory(created_at=timezone.now() - timedelta(days=10))
    new = LeadFactory()

    Lead.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).mark_all_reached_out(by=attorney)

    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == Lead.Status.REACHED_OUT
    assert new.status == Lead.Status.PENDING


@pytest.mark.postgres_only(reason="SQLite serialises writers itself; row locks exist only on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_attorneys_at_once_give_one_reach_out_and_one_history_row():
    lead = LeadFactory()
    attorneys = [AttorneyFactory() for _ in range(8)]
    barrier = threading.Barrier(len(attorneys))
    errors = []

    def reach_out(attorney):
        try:
            barrier.wait()
            Lead.objects.mark_reached_out(Lead.objects.get(pk=lead.pk), by=attorney)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reach_out, args=(a,)) for a in attorneys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lead.refresh_from_db()
    changes = list(StatusChange.objects.filter(lead=lead))
    assert errors == []
    assert len(changes) == 1
    assert lead.reached_out_by == changes[0].changed_by
    assert lead.reached_out_at == changes[0].changed_at
