"""Speed to lead: each step with a frozen clock (the pass is given its `now`), each step once,
the edge cases of the issue, a backlog summed up, and an outage in the middle of a pass.

The firm here keeps New York office hours; 2026-12-02 is a Wednesday.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import AttorneyFactory
from leads import selectors, services
from leads.models import Delivery, FollowUp, Lead, StatusChange
from leads.tests.documents import MINIMAL_PDF
from leads.tests.factories import LeadFactory
from leads.worker import followups

NEW_YORK = ZoneInfo("America/New_York")
PARTNER = "partner@firm.example"


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def firm(settings, monkeypatch):
    settings.FIRM_HOURS = "mon-fri 09:00-17:00"
    settings.FIRM_TIME_ZONE = "America/New_York"
    settings.LEAD_RESPONSE_TARGET_MINUTES = 60
    settings.LEAD_ESCALATE_TO = [PARTNER]
    settings.LEAD_STALE_DAYS = 7
    settings.FOLLOW_UP_SUMMARY_OVER = 5
    settings.DIGEST_ENABLED = False
    settings.ATTORNEY_NOTIFY_EMAILS = []
    monkeypatch.setattr(followups, "_digests_done_on", None)


def new_lead(created_at: datetime, **fields) -> Lead:
    """A lead as submit_lead leaves it, created at `created_at`."""
    due = followups.response_due(created_at)
    return LeadFactory(created_at=created_at, response_due_at=due, next_follow_up_at=due, **fields)


def emails(kind: str) -> list[tuple]:
    return sorted(
        Delivery.objects.filter(kind=kind).values_list("recipient", "lead_id").order_by("recipient")
    )


# --- the due time --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_lead_is_due_the_target_in_business_minutes_after_it_came_in(settings):
    lead = services.submit_lead(
        first_name="Ada",
        last_name="Byron",
        email="ada@example.com",
        resume=pdf(),
    )
    lead.refresh_from_db()
    assert lead.response_due_at == followups.response_due(lead.created_at)
    assert lead.next_follow_up_at == lead.response_due_at
    assert lead.response_due_at > lead.created_at


@pytest.mark.django_db
def test_a_lead_created_on_saturday_is_due_an_hour_after_monday_opening():
    lead = new_lead(ny(2026, 12, 5, 11, 0))
    assert lead.response_due_at == ny(2026, 12, 7, 10, 0)


@pytest.mark.django_db
def test_a_target_of_zero_gives_no_due_time_and_no_step(settings, attorney):
    settings.LEAD_RESPONSE_TARGET_MINUTES = 0
    lead = services.submit_lead(first_name="Ada", last_name="Byron", email="ada@example.com", resume=pdf())
    lead.refresh_from_db()
    LeadFactory(created_at=ny(2026, 12, 1, 9, 0), next_follow_up_at=ny(2026, 12, 1, 10, 0))

    assert lead.response_due_at is None
    assert followups.periodic_pass(ny(2026, 12, 9, 12, 0)) == {}
    assert not Delivery.objects.exists()


# --- the escalation ------------------------------------------------------------------------


@pytest.mark.django_db
def test_nothing_is_sent_a_minute_before_the_target():
    AttorneyFactory()
    new_lead(ny(2026, 12, 2, 10, 0))
    followups.periodic_pass(ny(2026, 12, 2, 10, 59))
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_an_overdue_assigned_lead_escalates_to_its_assignee_once():
    ada, _ = AttorneyFactory(), AttorneyFactory()
    lead = new_lead(ny(2026, 12, 2, 10, 0), assigned_to=ada)

    followups.periodic_pass(ny(2026, 12, 2, 11, 0))
    followups.periodic_pass(ny(2026, 12, 2, 11, 1))

    assert emails(Delivery.Kind.ESCALATION) == [(ada.email, lead.pk)]
    assert FollowUp.objects.get(lead=lead).step == FollowUp.Step.ESCALATION


@pytest.mark.django_db
def test_an_overdue_unassigned_lead_escalates_to_every_active_attorney():
    ada, bob = AttorneyFactory(), AttorneyFactory()
    AttorneyFactory(is_active=False)
    lead = new_lead(ny(2026, 12, 2, 10, 0))

    followups.periodic_pass(ny(2026, 12, 2, 11, 0))

    assert emails(Delivery.Kind.ESCALATION) == sorted([(ada.email, lead.pk), (bob.email, lead.pk)])


@pytest.mark.django_db
def test_the_lead_of_a_deactivated_attorney_escalates_to_the_others():
    gone, bob = AttorneyFactory(), AttorneyFactory()
    lead = new_lead(ny(2026, 12, 2, 10, 0), assigned_to=gone)
    gone.is_active = False
    gone.save()

    followups.periodic_pass(ny(2026, 12, 2, 11, 0))

    assert emails(Delivery.Kind.ESCALATION) == [(bob.email, lead.pk)]


@pytest.mark.django_db
def test_a_lead_reassigned_before_its_step_escalates_to_the_new_assignee():
    ada, bob = AttorneyFactory(), AttorneyFactory()
    lead = new_lead(ny(2026, 12, 2, 10, 0), assigned_to=ada)
    services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=bob, by=ada)

    followups.periodic_pass(ny(2026, 12, 2, 11, 0))

    assert emails(Delivery.Kind.ESCALATION) == [(bob.email, lead.pk)]


@pytest.mark.django_db
def test_a_lead_reached_out_a_second_before_its_step_gets_none(attorney):
    lead = new_lead(ny(2026, 12, 2, 10, 0), assigned_to=attorney)
    services.reach_out(lead=lead, by=attorney)

    followups.periodic_pass(ny(2026, 12, 2, 11, 0))

    assert not Delivery.objects.filter(kind=Delivery.Kind.ESCALATION).exists()


@pytest.mark.django_db
def test_a_lead_in_a_status_without_steps_gets_none_and_no_more_looks(attorney):
    lead = new_lead(ny(2026, 12, 2, 10, 0), assigned_to=attorney)
    # A status another feature adds (closed), as the pass would read it.
    closed = Lead(pk=lead.pk, status="CLOSED", created_at=lead.created_at)

    plan = followups.plan_steps([closed], ny(2026, 12, 2, 11, 0))

    assert plan.steps == []
    assert plan.next_look == {lead.pk: None}


@pytest.mark.django_db
def test_the_escalation_is_on_the_leads_timeline():
    ada = AttorneyFactory()
    lead = new_lead(ny(2026, 12, 2, 10, 0), assigned_to=ada)
    followups.periodic_pass(ny(2026, 12, 2, 11, 0))

    events = [event for event in selectors.timeline(lead).events if event.type == "delivery"]
    assert [event.detail["kind"] for event in events] == [Delivery.Kind.ESCALATION]


# --- the second step -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_lead_still_pending_at_twice_the_target_goes_to_the_escalation_addresses():
    ada = AttorneyFactory()
    lead = new_lead(ny(2026, 12, 2, 10, 0), assigned_to=ada)

    followups.periodic_pass(ny(2026, 12, 2, 11, 0))
    followups.periodic_pass(ny(2026, 12, 2, 11, 59))
    assert not Delivery.objects.filter(kind=Delivery.Kind.SECOND_ESCALATION).exists()
    followups.periodic_pass(ny(2026, 12, 2, 12, 0))
    followups.periodic_pass(ny(2026, 12, 2, 12, 1))

    assert emails(Delivery.Kind.SECOND_ESCALATION) == [(PARTNER, lead.pk)]
    assert emails(Delivery.Kind.ESCALATION) == [(ada.email, lead.pk)]
    lead.refresh_from_db()
    assert lead.next_follow_up_at is None


@pytest.mark.django_db
def test_without_escalation_addresses_there_is_no_second_step(settings):
    settings.LEAD_ESCALATE_TO = []
    AttorneyFactory()
    lead = new_lead(ny(2026, 12, 2, 10, 0))

    followups.periodic_pass(ny(2026, 12, 2, 11, 0))
    followups.periodic_pass(ny(2026, 12, 3, 11, 0))

    assert not Delivery.objects.filter(kind=Delivery.Kind.SECOND_ESCALATION).exists()
    lead.refresh_from_db()
    assert lead.next_follow_up_at is None


# --- the reminder --------------------------------------------------------------------------


def reached_out_lead(attorney, at: datetime) -> Lead:
    lead = new_lead(at - timedelta(minutes=30), assigned_to=attorney)
    services.reach_out(lead=lead, by=attorney)
    Lead.objects.filter(pk=lead.pk).update(reached_out_at=at, next_follow_up_at=at)
    StatusChange.objects.filter(lead=lead).update(changed_at=at)
    return lead


@pytest.mark.django_db
def test_a_reached_out_lead_quiet_for_seven_business_days_gets_one_reminder(attorney):
    lead = reached_out_lead(attorney, ny(2026, 12, 2, 10, 0))

    followups.periodic_pass(ny(2026, 12, 2, 10, 5))  # looks, schedules
    followups.periodic_pass(ny(2026, 12, 11, 9, 59))  # 7 business days later: next Friday 10:00
    assert not Delivery.objects.filter(kind=Delivery.Kind.STALE_REMINDER).exists()
    followups.periodic_pass(ny(2026, 12, 11, 10, 0))
    followups.periodic_pass(ny(2026, 12, 14, 10, 0))

    assert emails(Delivery.Kind.STALE_REMINDER) == [(attorney.email, lead.pk)]


@pytest.mark.django_db
def test_a_lead_reassigned_between_two_steps_has_the_next_one_go_to_the_new_assignee():
    ada, bob = AttorneyFactory(), AttorneyFactory()
    lead = new_lead(ny(2026, 12, 2, 10, 0), assigned_to=ada)
    followups.periodic_pass(ny(2026, 12, 2, 11, 0))  # the escalation, to Ada
    Lead.objects.filter(pk=lead.pk).update(
        status=Lead.Status.REACHED_OUT,
        reached_out_at=ny(2026, 12, 2, 11, 30),
        next_follow_up_at=ny(2026, 12, 2, 11, 30),
    )
    services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=bob, by=ada)

    followups.periodic_pass(ny(2026, 12, 11, 11, 30))  # quiet for 7 business days

    assert emails(Delivery.Kind.ESCALATION) == [(ada.email, lead.pk)]
    assert emails(Delivery.Kind.STALE_REMINDER) == [(bob.email, lead.pk)]


@pytest.mark.django_db
def test_a_note_puts_off_the_reminder(attorney):
    lead = reached_out_lead(attorney, ny(2026, 12, 2, 10, 0))
    followups.periodic_pass(ny(2026, 12, 2, 10, 5))
    note = services.add_note(lead=lead, author=attorney, body="Called, left a message.")
    note.created_at = ny(2026, 12, 10, 10, 0)
    note.save()

    for now in (ny(2026, 12, 11, 10, 0), ny(2026, 12, 16, 12, 0), ny(2026, 12, 21, 9, 59)):
        followups.periodic_pass(now)
        assert not Delivery.objects.filter(kind=Delivery.Kind.STALE_REMINDER).exists()
    followups.periodic_pass(ny(2026, 12, 21, 10, 0))  # 7 business days after the note

    assert emails(Delivery.Kind.STALE_REMINDER) == [(attorney.email, lead.pk)]


# --- the digest ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_attorney_with_open_leads_gets_one_digest_a_day_at_opening(settings):
    settings.DIGEST_ENABLED = True
    ada, bob, _idle = AttorneyFactory(), AttorneyFactory(), AttorneyFactory()
    LeadFactory(assigned_to=ada)
    LeadFactory(assigned_to=bob, status=Lead.Status.REACHED_OUT)

    followups.periodic_pass(ny(2026, 12, 2, 8, 59))
    assert not Delivery.objects.filter(kind=Delivery.Kind.DIGEST).exists()
    followups.periodic_pass(ny(2026, 12, 2, 9, 0))
    followups.periodic_pass(ny(2026, 12, 2, 15, 0))
    monkeypatch_free_reset()
    followups.periodic_pass(ny(2026, 12, 2, 16, 0))  # another worker, same day

    assert emails(Delivery.Kind.DIGEST) == sorted([(ada.email, None), (bob.email, None)])
    followups.periodic_pass(ny(2026, 12, 3, 9, 0))
    assert len(emails(Delivery.Kind.DIGEST)) == 4


def monkeypatch_free_reset():
    """What a second worker process knows: nothing of the digests this one sent."""
    followups._digests_done_on = None


@pytest.mark.django_db
def test_there_is_no_digest_on_a_day_the_firm_is_closed(settings):
    settings.DIGEST_ENABLED = True
    LeadFactory(assigned_to=AttorneyFactory())
    followups.periodic_pass(ny(2026, 12, 5, 12, 0))
    assert not Delivery.objects.filter(kind=Delivery.Kind.DIGEST).exists()


@pytest.mark.django_db
def test_the_digest_lists_overdue_leads_first(settings, attorney):
    settings.DIGEST_ENABLED = True
    newer = LeadFactory(assigned_to=attorney, first_name="Newer")
    late = new_lead(ny(2026, 12, 1, 10, 0), assigned_to=attorney, first_name="Late")
    listed, count, overdue = selectors.open_leads_of(attorney, limit=10, now=ny(2026, 12, 2, 9, 0))
    assert [(lead.pk, is_late) for lead, is_late in listed] == [(late.pk, True), (newer.pk, False)]
    assert (count, overdue) == (2, 1)


# --- the backlog ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_backlog_gets_each_attorney_one_summary_and_its_steps_count_as_done():
    ada, bob = AttorneyFactory(), AttorneyFactory()
    old = [new_lead(ny(2026, 11, 2 + n % 20, 10, 0)) for n in range(30)]

    counts = followups.periodic_pass(ny(2026, 12, 2, 9, 30))
    followups.periodic_pass(ny(2026, 12, 2, 9, 31))

    summaries = sorted([(ada.email, None), (bob.email, None), (PARTNER, None)])
    assert emails(Delivery.Kind.OVERDUE_SUMMARY) == summaries
    assert not Delivery.objects.exclude(kind=Delivery.Kind.OVERDUE_SUMMARY).exists()
    assert counts == {"escalation": 30, "second_escalation": 30, "summaries": 3}
    assert FollowUp.objects.filter(lead__in=old).count() == 60
    summary = Delivery.objects.get(kind=Delivery.Kind.OVERDUE_SUMMARY, recipient=ada.email)
    assert summary.payload["count"] == 30


@pytest.mark.django_db
def test_a_few_overdue_leads_still_get_one_email_each():
    ada = AttorneyFactory()
    leads = [new_lead(ny(2026, 12, 2, 10, 0), assigned_to=ada) for _ in range(5)]
    followups.periodic_pass(ny(2026, 12, 2, 11, 0))
    assert emails(Delivery.Kind.ESCALATION) == sorted((ada.email, lead.pk) for lead in leads)


@pytest.mark.django_db
def test_pending_leads_from_before_the_feature_are_looked_at_on_the_first_pass():
    ada = AttorneyFactory()
    before = LeadFactory(created_at=ny(2026, 12, 2, 9, 0), assigned_to=ada)
    # What migration 0051 does to them.
    Lead.objects.filter(pk=before.pk).update(next_follow_up_at=ny(2026, 12, 2, 9, 30))

    followups.periodic_pass(ny(2026, 12, 2, 9, 30))
    before.refresh_from_db()
    assert before.response_due_at == ny(2026, 12, 2, 10, 0)
    followups.periodic_pass(ny(2026, 12, 2, 10, 0))
    assert emails(Delivery.Kind.ESCALATION) == [(ada.email, before.pk)]


# --- outages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_worker_back_after_an_outage_sends_each_step_due_once():
    ada = AttorneyFactory()
    lead = new_lead(ny(2026, 12, 2, 10, 0), assigned_to=ada)
    followups.periodic_pass(ny(2026, 12, 2, 10, 30))  # before the outage: nothing due
    # The worker is away from 10:30 to 15:00: both steps fell due meanwhile.
    followups.periodic_pass(ny(2026, 12, 2, 15, 0))
    followups.periodic_pass(ny(2026, 12, 2, 15, 1))

    assert emails(Delivery.Kind.ESCALATION) == [(ada.email, lead.pk)]
    assert emails(Delivery.Kind.SECOND_ESCALATION) == [(PARTNER, lead.pk)]


@pytest.mark.django_db(transaction=True)
def test_a_pass_cut_off_by_the_database_keeps_nothing_and_the_next_one_sends_once():
    ada = AttorneyFactory()
    lead = new_lead(ny(2026, 12, 2, 10, 0), assigned_to=ada)

    def database_gone(execute, sql, params, many, context):
        if 'INTO "leads_followup"' in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(database_gone), pytest.raises(OperationalError):
        followups.periodic_pass(ny(2026, 12, 2, 11, 0))
    assert not Delivery.objects.exists()
    assert not DBTaskResult.objects.exists()
    lead.refresh_from_db()
    assert lead.next_follow_up_at == ny(2026, 12, 2, 11, 0)

    followups.periodic_pass(ny(2026, 12, 2, 11, 1))
    followups.periodic_pass(ny(2026, 12, 2, 11, 2))
    assert emails(Delivery.Kind.ESCALATION) == [(ada.email, lead.pk)]


# --- cost ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_pass_with_nothing_due_is_one_query(django_assert_max_num_queries):
    for _ in range(20):
        new_lead(ny(2026, 12, 2, 10, 0))
    with django_assert_max_num_queries(1):
        followups.periodic_pass(ny(2026, 12, 2, 10, 30))


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")


# --- erasure -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_erasing_a_prospect_leaves_none_of_their_steps_or_summaries():
    AttorneyFactory()
    leads = [new_lead(ny(2026, 11, 2, 10, 0)) for _ in range(8)]
    followups.periodic_pass(ny(2026, 12, 2, 9, 30))
    erased = leads[0]

    services.erase_prospect(email=erased.email)

    assert not FollowUp.objects.filter(key__contains=str(erased.pk)).exists()
    payloads = Delivery.objects.values_list("payload", flat=True)
    assert all(str(erased.pk) not in str(payload) for payload in payloads)
