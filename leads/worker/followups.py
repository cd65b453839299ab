"""Speed to lead, run by every worker's loop (runner): the steps that follow a lead nobody
answers, and each attorney's daily digest.

- Escalation: a PENDING lead past its `response_due_at` (LEAD_RESPONSE_TARGET_MINUTES business
  minutes after creation): one email to its assignee, or to every active attorney when it
  has none or its assignee is no longer one.
- Second escalation: still PENDING at twice the target: one email to each LEAD_ESCALATE_TO.
- Reminder: a REACHED_OUT lead without a note or status change for LEAD_STALE_DAYS business
  days: one email to its assignee (or the attorneys), once per quiet spell.
- Digest: at the day's first opening, each active attorney with open leads gets one email.

Exactly once per step, whatever the number of workers: a pass locks the leads it takes
(SKIP LOCKED, so two workers take different leads), and claims each step's unique
FollowUp key in the transaction that queues its delivery; a worker that loses a race on a
key rolls the whole pass back and has sent nothing. A pass that never committed (a worker or
the database gone mid-pass) leaves the leads due, so the next pass catches up; one that did
commit has queued its deliveries in the outbox, sent by `send_delivery` with its own claim.

Finding work is one probe of the partial index lead_follow_up_idx (`next_follow_up_at`),
which holds only leads with a step ahead; each lead's next look is written back.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from leads import business_time
from leads.models import Delivery, FollowUp, Lead, Note, StatusChange

from . import deliveries

logger = logging.getLogger("leads.worker")

# How many leads one pass takes at most: a backlog larger than this is summed up once per
# this many leads.
PASS_LIMIT = 10_000
# How many leads a summary names (its count says how many there were).
SUMMARY_NAMES = 50
KINDS = {
    FollowUp.Step.ESCALATION: Delivery.Kind.ESCALATION,
    FollowUp.Step.SECOND_ESCALATION: Delivery.Kind.SECOND_ESCALATION,
    FollowUp.Step.STALE_REMINDER: Delivery.Kind.STALE_REMINDER,
}
NOBODY = (
    "Nobody to tell: no active attorney (Attorneys group) has an email address, and the lead's "
    "assignee has none or is no longer an attorney."
)

# The last local date this process saw every digest sent (saves the look for the rest of it).
_digests_done_on: date | None = None


def is_on() -> bool:
    """LEAD_RESPONSE_TARGET_MINUTES=0 switches every step and the digest off."""
    return settings.LEAD_RESPONSE_TARGET_MINUTES > 0


def response_due(created_at: datetime) -> datetime | None:
    """When a lead created at `created_at` must be answered; None when there is no target."""
    if not is_on():
        return None
    return business_time.add_business_minutes(created_at, settings.LEAD_RESPONSE_TARGET_MINUTES)


def second_due(created_at: datetime) -> datetime:
    return business_time.add_business_minutes(created_at, 2 * settings.LEAD_RESPONSE_TARGET_MINUTES)


def step_key(step: str, lead_id, anchor: datetime | None = None) -> str:
    return f"{step}:{lead_id}" + (f":{anchor.isoformat()}" if anchor else "")


@dataclass
class Plan:
    """What one pass decided: steps per lead, and each lead's next look."""

    steps: list[tuple[Lead, str, str, list[str]]] = field(default_factory=list)  # lead, step, key, to
    next_look: dict = field(default_factory=dict)  # lead id -> datetime | None
    due_set: dict = field(default_factory=dict)  # lead id -> response_due_at written now


def periodic_pass(now: datetime | None = None) -> dict[str, int]:
    """One look for work: the steps due and today's digests; returns what it queued."""
    if not is_on():
        return {}
    now = now or timezone.now()
    done = take_steps(now)
    if settings.DIGEST_ENABLED:
        done["digests"] = send_digests(now)
    return done


def take_steps(now: datetime) -> dict[str, int]:
    """Queue every step due at `now` (one transaction); returns how many of each."""
    due = Lead.objects.filter(next_follow_up_at__lte=now)
    if not due.exists():  # the usual answer: one probe of lead_follow_up_idx, no transaction
        return {}
    try:
        with transaction.atomic():
            leads = list(
                Lead.objects.for_lists()
                .filter(next_follow_up_at__lte=now)
                .select_related("assigned_to")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("next_follow_up_at")[:PASS_LIMIT]
            )
            if not leads:
                return {}
            plan = plan_steps(leads, now)
            counts = queue_steps(plan)
            write_next_looks(plan)
            return counts
    except IntegrityError:
        # Another worker claimed one of these steps first: it sends them; nothing of this
        # pass was kept, and the next pass sees what is left.
        logger.info("Another worker took these speed-to-lead steps; this pass kept nothing.")
        return {}


def plan_steps(leads: list[Lead], now: datetime) -> Plan:
    plan = Plan()
    ids = [lead.pk for lead in leads]
    taken = set(FollowUp.objects.filter(lead_id__in=ids).values_list("key", flat=True))
    quiet_since = last_activity([lead for lead in leads if lead.status == Lead.Status.REACHED_OUT])
    everyone = None
    for lead in leads:
        if lead.status == Lead.Status.PENDING:
            due = lead.response_due_at
            if due is None:
                due = plan.due_set[lead.pk] = response_due(lead.created_at)
            later = second_due(lead.created_at) if settings.LEAD_ESCALATE_TO else None
            if now < due:
                plan.next_look[lead.pk] = due
                continue
            if (key := step_key(FollowUp.Step.ESCALATION, lead.pk)) not in taken:
                everyone = everyone if everyone is not None else attorney_addresses()
                plan.steps.append((lead, FollowUp.Step.ESCALATION, key, recipients(lead, everyone)))
            if later is not None and now >= later:
                if (key := step_key(FollowUp.Step.SECOND_ESCALATION, lead.pk)) not in taken:
                    plan.steps.append(
                        (lead, FollowUp.Step.SECOND_ESCALATION, key, list(settings.LEAD_ESCALATE_TO))
                    )
                later = None
            plan.next_look[lead.pk] = later
        elif lead.status == Lead.Status.REACHED_OUT:
            anchor = quiet_since[lead.pk]
            stale_at = business_time.add_business_days(anchor, settings.LEAD_STALE_DAYS)
            if now < stale_at:
                plan.next_look[lead.pk] = stale_at
                continue
            if (key := step_key(FollowUp.Step.STALE_REMINDER, lead.pk, anchor)) not in taken:
                everyone = everyone if everyone is not None else attorney_addresses()
                plan.steps.append((lead, FollowUp.Step.STALE_REMINDER, key, recipients(lead, everyone)))
            plan.next_look[lead.pk] = None  # a note or status change schedules the next look
        else:
            plan.next_look[lead.pk] = None  # closed (or any status with no step ahead)
    return plan


def last_activity(leads: list[Lead]) -> dict:
    """Each reached-out lead's last note or status change (its reach-out at the least): two
    grouped reads over these leads' rows (indexes note_lead_idx, statuschange's lead index)."""
    ids = [lead.pk for lead in leads]
    if not ids:
        return {}
    latest = {lead.pk: lead.reached_out_at or lead.created_at for lead in leads}
    for model, column in ((StatusChange, "changed_at"), (Note, "created_at")):
        rows = model.objects.filter(lead_id__in=ids).values("lead_id").annotate(at=Max(column)).order_by()
        for row in rows.values_list("lead_id", "at"):
            latest[row[0]] = max(latest[row[0]], row[1])
    return latest


def attorney_addresses() -> list[str]:
    """Every active attorney's address, for a lead whose assignee cannot be told."""
    return list(User.objects.attorneys().exclude(email="").order_by("email").values_list("email", flat=True))


def recipients(lead: Lead, everyone: list[str]) -> list[str]:
    """The assignee when it is still an active attorney with an address, else everyone."""
    assignee = lead.assigned_to
    if assignee is not None and assignee.email and assignee.email in everyone:
        return [assignee.email]
    return everyone


def queue_steps(plan: Plan) -> dict[str, int]:
    """The deliveries and the FollowUp keys of the plan's steps: one email per lead and
    recipient, or one summary per recipient with more than FOLLOW_UP_SUMMARY_OVER of them."""
    per_recipient: dict[str, list] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    follow_ups: dict[str, FollowUp] = {}
    for lead, step, key, to in plan.steps:
        follow_ups[key] = FollowUp(key=key, step=step, lead=lead)
        counts[step] += 1
        if not to:
            deliveries.refuse(
                kind=KINDS[step], channel=Delivery.Channel.EMAIL, recipient="", lead=lead, reason=NOBODY
            )
        for address in to:
            per_recipient[address].append((lead, step, key))
    singles, summaries = [], []
    for address, items in per_recipient.items():
        if len(items) > settings.FOLLOW_UP_SUMMARY_OVER:
            lead_ids = list(dict.fromkeys(str(lead.pk) for lead, _, _ in items))
            summary = Delivery(
                kind=Delivery.Kind.OVERDUE_SUMMARY,
                channel=Delivery.Channel.EMAIL,
                recipient=address,
                payload={"leads": lead_ids[:SUMMARY_NAMES], "count": len(lead_ids)},
            )
            summaries.append((summary, [key for _, _, key in items]))
        else:
            singles += [
                (
                    Delivery(kind=KINDS[step], channel=Delivery.Channel.EMAIL, recipient=address, lead=lead),
                    key,
                )
                for lead, step, key in items
            ]
    deliveries.queue_many([d for d, _ in singles] + [d for d, _ in summaries])
    for delivery, key in singles:
        follow_ups[key].delivery = delivery
    for delivery, keys in summaries:
        for key in keys:
            follow_ups[key].delivery = follow_ups[key].delivery or delivery
        counts["summaries"] += 1
    # The keys decide: a step another worker claimed first raises IntegrityError here, and
    # the whole pass (its deliveries and their queued attempts) rolls back.
    FollowUp.objects.bulk_create(follow_ups.values(), batch_size=1000)
    return dict(counts)


def write_next_looks(plan: Plan) -> None:
    leads = [
        Lead(pk=pk, next_follow_up_at=at, response_due_at=plan.due_set.get(pk))
        for pk, at in plan.next_look.items()
    ]
    Lead.objects.bulk_update(
        [lead for lead in leads if lead.pk not in plan.due_set], ["next_follow_up_at"], batch_size=1000
    )
    Lead.objects.bulk_update(
        [lead for lead in leads if lead.pk in plan.due_set],
        ["next_follow_up_at", "response_due_at"],
        batch_size=1000,
    )


def send_digests(now: datetime) -> int:
    """Today's digests, once the firm has opened today: one per active attorney with open
    leads, each claimed under its key; returns how many were queued."""
    global _digests_done_on
    today = business_time.local_date(now)
    if _digests_done_on == today:
        return 0
    opening = business_time.first_opening_on(today)
    if opening is None or now < opening:
        return 0
    open_statuses = [Lead.Status.PENDING, Lead.Status.REACHED_OUT]
    holders = Lead.objects.filter(status__in=open_statuses, assigned_to__isnull=False).values("assigned_to")
    attorneys = list(User.objects.attorneys().exclude(email="").filter(pk__in=holders).order_by("pk"))
    keys = {f"digest:{user.pk}:{today.isoformat()}": user for user in attorneys}
    taken = set(FollowUp.objects.filter(key__in=keys).values_list("key", flat=True))
    todo = {key: user for key, user in keys.items() if key not in taken}
    try:
        with transaction.atomic():
            made = deliveries.queue_many(
                [
                    Delivery(
                        kind=Delivery.Kind.DIGEST,
                        channel=Delivery.Channel.EMAIL,
                        recipient=user.email,
                        payload={"user": str(user.pk), "date": today.isoformat()},
                    )
                    for user in todo.values()
                ]
            )
            FollowUp.objects.bulk_create(
                FollowUp(key=key, step=FollowUp.Step.DIGEST, delivery=delivery)
                for key, delivery in zip(todo, made, strict=True)
            )
    except IntegrityError:
        logger.info("Another worker queued today's digests.")
        return 0
    _digests_done_on = today
    return len(todo)
