"""Speed to lead across workers: two real `db_worker` processes looking for steps at once send
each escalation once (PostgreSQL: SKIP LOCKED hands them different leads, the unique key
decides between two that read the same one), and a worker that read a lead before another
claimed its step keeps nothing."""

import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import AttorneyFactory
from leads.models import Delivery, FollowUp, Lead
from leads.tests.factories import LeadFactory
from leads.tests.test_workers import smtp, wait_until_all_tasks_finished, workers_running  # noqa: F401
from leads.worker import followups

LEADS = 20


@pytest.fixture(autouse=True)
def always_open(settings):
    settings.FIRM_HOURS = "mon-sun 00:00-24:00"
    settings.LEAD_RESPONSE_TARGET_MINUTES = 60
    settings.LEAD_ESCALATE_TO = []


def overdue_lead(**fields) -> Lead:
    due = timezone.now() - timedelta(minutes=1)
    created_at = due - timedelta(hours=1)
    return LeadFactory(created_at=created_at, response_due_at=due, next_follow_up_at=due, **fields)


@pytest.mark.django_db
def test_a_worker_that_read_a_lead_before_another_claimed_its_step_keeps_nothing():
    ada = AttorneyFactory()
    lead = overdue_lead(assigned_to=ada)
    now = timezone.now()
    # Worker B reads the lead and decides, then worker A takes the step and commits first.
    late_plan = followups.plan_steps(list(Lead.objects.filter(pk=lead.pk).select_related("assigned_to")), now)
    followups.periodic_pass(now)

    with pytest.raises(IntegrityError), transaction.atomic():
        followups.queue_steps(late_plan)

    assert Delivery.objects.filter(kind=Delivery.Kind.ESCALATION).count() == 1
    assert FollowUp.objects.filter(lead=lead).count() == 1


@pytest.mark.postgres_only(reason="row locking (SKIP LOCKED) is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_escalation_exactly_once(smtp):  # noqa: F811
    sink, port = smtp
    ada = AttorneyFactory(email="ada@firm.example")
    leads = [overdue_lead(assigned_to=ada) for _ in range(LEADS)]
    environment = {
        "FIRM_HOURS": "mon-sun 00:00-24:00",
        "FOLLOW_UP_INTERVAL_SECONDS": "0.05",
        "FOLLOW_UP_SUMMARY_OVER": "1000",
        "DIGEST_ENABLED": "false",
    }
    with workers_running(("worker-a", "worker-b"), port, **environment):
        wait_until(lambda: FollowUp.objects.count() == LEADS)
        # One more lead falls due while both keep looking: it is sent once too.
        leads.append(overdue_lead(assigned_to=ada))
        wait_until(lambda: FollowUp.objects.count() == LEADS + 1)
        wait_until(lambda: not Delivery.objects.filter(status=Delivery.Status.QUEUED).exists())
        wait_until_all_tasks_finished()

    assert Counter(sink.recipients)["ada@firm.example"] == LEADS + 1
    escalations = Delivery.objects.filter(kind=Delivery.Kind.ESCALATION)
    per_lead = Counter(escalations.values_list("lead_id", flat=True))
    assert per_lead == dict.fromkeys((lead.pk for lead in leads), 1)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


def wait_until(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("the workers did not get there in time")
        time.sleep(0.05)
