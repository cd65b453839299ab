"""What follows a change, done by the worker: the fan-out of one queued task into deliveries.

A request does only what must be atomic (the lead row and one task); everything that may
be slow or may fail — picking recipients, writing delivery rows, sending — happens here,
each fan-out in one transaction that holds the lead's row lock.

Submissions queue `process_application`; every later change to leads (reached out,
assigned, deleted) queues one `handle_event` through `emit()`, however many leads it
touched, so a bulk action over a thousand leads costs its request one task row.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.tasks import task
from django.utils import timezone

from accounts.models import User
from leads import letters, rollup
from leads.models import (
    Answer,
    Delivery,
    Lead,
    LeadQuerySet,
    PracticeArea,
    Question,
    Resubmission,
    WebhookEndpoint,
)
from leads.representations import LeadSerializer

from . import deliveries, emails, erasure
from .files import remove_files
from .resume_text import extract_resubmission_text, extract_resume_text

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key that queues concurrent round-robin picks ("lead" in ASCII).
ROUND_ROBIN_LOCK = 0x6C656164


@task
def process_application(application: dict) -> str:
    """A submission's fan-out: the new lead's emails; or — when its address was already on
    file and the form inserted nothing — the resubmission recorded on the existing lead; or,
    when that lead is in the trash since before this submission, the trashed lead erased and
    the new one made from the submission (a new submission starts afresh: nothing deleted
    comes back). The request cannot tell these apart, so every address costs it the same."""
    with transaction.atomic():
        lead = Lead.all_objects.select_for_update().filter(pk=application["lead_id"]).first()
        if lead is not None:
            if lead.deleted_at is not None:
                return "trashed"  # deleted before its fan-out: its files stay for a restore
            store_answers(application, lead=lead)
            lead_created(lead)
            return "created"
        if not application["resubmit"]:
            return "gone"  # created and deleted again before the worker came to it
        storage = Resubmission._meta.get_field("resume").storage
        if not storage.exists(application["resume"]):
            return "discarded"  # the address's lead was erased since, with this file
        lead = Lead.all_objects.select_for_update().by_email(application["email"])
        submitted_at = datetime.fromisoformat(application["submitted_at"])
        # Submissions queued before they carried the lead they describe cannot start afresh.
        describes_its_lead = "first_name" in application
        if lead is not None and lead.deleted_at is not None:
            if lead.deleted_at > submitted_at or not describes_its_lead:
                return discard(application)  # a resubmission of a lead trashed since it was sent
            erasure.erase_leads(Lead.all_objects.filter(pk=lead.pk))
            lead = None
        if lead is None:
            if describes_its_lead and (new := lead_from(application)) is not None:
                store_answers(application, lead=new)
                lead_created(new)
                return "created"
            # Another worker made this address's lead a moment ago: this is its resubmission.
            lead = Lead.objects.select_for_update().by_email(application["email"])
            if lead is None:
                return discard(application)
        resubmission = Resubmission.objects.create(
            lead=lead,
            resume=application["resume"],
            created_at=submitted_at,
            source=application["source"],
            referrer=application["referrer"],
            language=application.get("language", lead.language),
            # An area deleted since (no lead named it then) is not kept.
            practice_area=PracticeArea.objects.filter(pk=application.get("practice_area") or 0).first(),
        )
        store_answers(application, lead=lead, resubmission=resubmission)
        if resubmission.language != lead.language:
            # The prospect's latest choice: this resubmission's email and every later one speak it.
            Lead.objects.filter(pk=lead.pk).update(language=resubmission.language)
            lead.language = resubmission.language
        lead_resubmitted(lead, resubmission)
        return "resubmitted"


def discard(application: dict) -> str:
    """Keep nothing of a submission with no lead to go to: its file goes."""
    remove_files.call([application["resume"]])
    return "discarded"


def lead_from(application: dict) -> Lead | None:
    """The new lead a form submission describes, saved; None when another lead has the
    address by now."""
    lead = Lead(
        pk=application["lead_id"],
        first_name=application["first_name"],
        last_name=application["last_name"],
        email=application["address"],
        email_key=application["email"],
        status=Lead.Status.PENDING,
        created_at=datetime.fromisoformat(application["submitted_at"]),
        source=application["source"],
        referrer=application["referrer"],
        language=application["language"],
        practice_area=PracticeArea.objects.filter(pk=application.get("practice_area") or 0).first(),
        resume=application["resume"],
    )
    due = application.get("response_due_at")
    lead.response_due_at = lead.next_follow_up_at = due and datetime.fromisoformat(due)
    try:
        with transaction.atomic():
            lead.save(force_insert=True)
    except IntegrityError:
        return None
    # Made now, dated when it was sent: the report's rollup may have folded that moment.
    rollup.mark_changed([lead.pk])
    return lead


def store_answers(application: dict, *, lead: Lead, resubmission: Resubmission | None = None) -> None:
    """The form's answers (checked by the request, labels as asked now) on the new lead or on
    its resubmission; a question deleted since (it had no answers then) is skipped."""
    pairs = application.get("answers") or []
    if not pairs or (resubmission is None and lead.answers.exists()):
        return
    questions = Question.objects.in_bulk([pk for pk, _ in pairs])
    kept = [(questions[pk], value) for pk, value in pairs if pk in questions]
    Answer.objects.bulk_create(Answer.build(lead_id=lead.pk, questions=kept, resubmission=resubmission))
    Lead.objects.filter(pk=lead.pk).refresh_answers_text()  # what the searches read


def lead_created(lead: Lead) -> None:
    """A new lead: its assignee (LEAD_AUTO_ASSIGN), the prospect's confirmation, the
    attorneys' notification (which says who it was assigned to), its resume's text, the
    subscribers' lead.created calls."""
    if settings.LEAD_AUTO_ASSIGN == "round_robin":
        assignee = next_assignee(practice_area=lead.practice_area)
        if assignee is not None:
            assign_and_announce(Lead.objects.filter(pk=lead.pk), to=assignee, by=None)
            lead.assigned_to = assignee
    deliveries.queue_prospect_email(lead=lead, kind=Delivery.Kind.CONFIRMATION)
    notify_attorneys(lead, kind=Delivery.Kind.NOTIFICATION)
    extract_resume_text.enqueue(str(lead.pk))
    queue_calls(Delivery.Kind.LEAD_CREATED, leads=[lead])


def lead_resubmitted(lead: Lead, resubmission: Resubmission) -> None:
    """A known address applied again: a short "received again" email to the address on
    file, the attorneys told, the subscribers' lead.resubmitted calls."""
    payload = {"resubmission": str(resubmission.pk)}
    deliveries.queue_prospect_email(lead=lead, kind=Delivery.Kind.RESUBMISSION_CONFIRMATION, payload=payload)
    notify_attorneys(lead, kind=Delivery.Kind.RESUBMISSION_NOTIFICATION, payload=payload)
    extract_resubmission_text.enqueue(str(resubmission.pk))
    queue_calls(Delivery.Kind.LEAD_RESUBMITTED, leads=[lead])


def notify_attorneys(lead: Lead, *, kind: str, payload: dict | None = None) -> None:
    """One email per attorney recipient; with nobody to tell, a failed delivery saying so."""
    recipients = emails.attorney_recipients()
    if not recipients:
        deliveries.refuse(
            kind=kind,
            channel=Delivery.Channel.EMAIL,
            recipient="",
            lead=lead,
            reason="Nobody to notify: no active attorney (Attorneys group) has an email address "
            "and ATTORNEY_NOTIFY_EMAILS is empty.",
        )
        return
    for address in recipients:
        deliveries.queue(
            kind=kind, channel=Delivery.Channel.EMAIL, recipient=address, lead=lead, payload=payload
        )


def next_assignee(practice_area: PracticeArea | None = None) -> User | None:
    """The active attorney with the fewest PENDING leads assigned (ties: by username), or
    None; among `practice_area`'s attorneys when it names active ones. Call it inside the
    transaction that assigns: on PostgreSQL it first takes a lock
    that makes a concurrent pick wait until this transaction ends, so two workers never
    both count the same attorney as the least busy (SQLite has one writer at a time)."""
    connection = connections[Lead.objects.db]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROUND_ROBIN_LOCK])
    # One count per attorney over the partial index lead_pending_assigned_idx.
    pending = (
        Lead.objects.filter(assigned_to=OuterRef("pk"), status=Lead.Status.PENDING)
        .order_by()
        .values("assigned_to")
        .annotate(n=Count("pk"))
        .values("n")
    )
    attorneys = User.objects.attorneys()
    if practice_area is not None and (among := attorneys.filter(practice_areas=practice_area)).exists():
        attorneys = among
    return attorneys.annotate(pending=Coalesce(Subquery(pending), 0)).order_by("pending", "username").first()


def assign_and_announce(leads: LeadQuerySet, *, to: User | None, by: User | None) -> list[tuple]:
    """Assign `leads` to `to` (or nobody), one AssignmentChange each, and queue ONE
    lead.assigned event for the ones that changed, in one transaction; returns (id, previous
    assignee id) of those. The one assignment path: services.assign_leads (which first checks
    that `to` is an active attorney) and the round-robin pick on intake (by=None, the system).
    A lead created before today has its day marked for the conversion report (the system's
    pick too: a worker that was down at midnight assigns yesterday's leads late)."""
    with transaction.atomic():
        changed = leads.assign_all(to, by=by)
        rollup.mark_changed(pk for pk, _ in changed)
        if changed:
            data = {"assigned_to": str(to.pk) if to else None, "assigned_by": str(by.pk) if by else None}
            emit(WebhookEndpoint.Event.LEAD_ASSIGNED, [pk for pk, _ in changed], data)
    return changed


def emit(event: str, lead_ids: Iterable, data: dict | None = None) -> None:
    """Queue ONE task for an event that happened to `lead_ids`, in the caller's transaction;
    the worker's `handle_event` makes the deliveries it causes."""
    handle_event.enqueue(event, [str(pk) for pk in lead_ids], data or {})


@task
def handle_event(event: str, lead_ids: list[str], data: dict | None = None) -> str:
    """What an event after the fact causes (run by the worker): the assignee's emails for
    lead.assigned, and the subscribers' calls for every event; returns a summary.

    The leads are locked while their deliveries are written, so a deletion meanwhile waits
    and then takes them along; a lead deleted before is skipped (its lead.deleted says so).
    """
    data = data or {}
    with transaction.atomic():
        if event == Delivery.Kind.LEAD_DELETED:
            return f"{len(queue_calls(event, deleted_ids=lead_ids))} webhook calls"
        leads = (
            Lead.objects.filter(pk__in=lead_ids)
            .select_related("reached_out_by", "assigned_to", "closed_by")
            .select_for_update(of=("self",))
            .order_by("created_at", "id")
        )
        emailed = "no emails"
        if event == Delivery.Kind.LEAD_ASSIGNED:
            emailed = lead_assigned(lead_ids, data)
        elif event == Delivery.Kind.LEAD_CLOSED and data.get("send_letter"):
            emailed = send_letters(list(leads))
        return f"{emailed}; {len(queue_calls(event, leads=leads))} webhook calls"


def lead_assigned(lead_ids: list[str], data: dict) -> str:
    """One email per lead to the attorney it was assigned to, unless they assigned it to
    themselves, or the system did and the new-lead notification already told them.

    One per lead rather than a digest: a delivery is about one lead (its timeline shows it,
    it is retried on its own, and it goes when the lead is erased); a digest naming many
    prospects would belong to none of them.
    """
    assignee = User.objects.filter(pk=data["assigned_to"]).first() if data.get("assigned_to") else None
    if assignee is None or data.get("assigned_by") == data["assigned_to"]:
        return "nobody to tell"
    if data.get("assigned_by") is None and assignee.email in emails.attorney_recipients():
        return "told by the new-lead notification"
    assigned_by = User.objects.filter(pk=data.get("assigned_by")).first() if data.get("assigned_by") else None
    payload = {"assigned_by": assigned_by.get_full_name() if assigned_by else ""}
    # Leads reassigned (or deleted) since are not announced to someone no longer holding them.
    leads = Lead.objects.select_for_update().filter(pk__in=lead_ids, assigned_to=assignee)
    sent = 0
    for lead in leads.order_by("created_at"):
        if not assignee.email:
            deliveries.refuse(
                kind=Delivery.Kind.ASSIGNMENT,
                channel=Delivery.Channel.EMAIL,
                recipient="",
                lead=lead,
                reason=f"Not sent: the assignee {assignee.username} has no email address.",
            )
            continue
        deliveries.queue(
            kind=Delivery.Kind.ASSIGNMENT,
            channel=Delivery.Channel.EMAIL,
            recipient=assignee.email,
            lead=lead,
            payload=payload,
        )
        sent += 1
    return f"{sent} assignment emails queued"


def send_letters(leads: list[Lead]) -> str:
    """The non-engagement letter to each prospect whose lead is still closed as DECLINED or
    REFERRED, once per closing (a task run again finds the letter already queued), within
    PROSPECT_EMAILS_PER_DAY (past it, a failed delivery saying so). The leads are locked."""
    sent = 0
    for lead in leads:
        if lead.status not in (Lead.Status.DECLINED, Lead.Status.REFERRED) or lead.closed_at is None:
            continue  # reopened (or closed otherwise) before the worker came to it
        if lead.deliveries.filter(kind=Delivery.Kind.LETTER, created_at__gte=lead.closed_at).exists():
            continue
        letter = letters.letter_for(lead, language=lead.language)
        payload = {"subject": letter.subject, "body": letter.body}
        deliveries.queue_prospect_email(lead=lead, kind=Delivery.Kind.LETTER, payload=payload)
        sent += 1
    return f"{sent} letters queued"


def leads_data(leads: Iterable[Lead]) -> list[dict]:
    """The leads as the API shows them, with absolute URLs from SITE_URL."""
    # Read again as the API reads them (one query), then one serializer for all: building a
    # serializer's fields costs more than using them.
    rows = Lead.objects.as_in_the_api().in_bulk([lead.pk for lead in leads])
    return LeadSerializer([rows[lead.pk] for lead in leads], many=True).data


def queue_calls(event: str, *, leads: Iterable[Lead] = (), deleted_ids: Iterable[str] = ()) -> list[Delivery]:
    """One delivery per active subscription to `event` and lead, its body written now: the
    lead as the API shows it, or for a deleted lead only its id. In the caller's transaction."""
    endpoints = WebhookEndpoint.objects.subscribed_to(event)
    if not endpoints:
        return []
    leads = list(leads)
    subjects = list(zip(leads, leads_data(leads), strict=True))
    subjects += [(None, {"id": str(pk)}) for pk in deleted_ids]
    timestamp = timezone.now().isoformat().replace("+00:00", "Z")
    return deliveries.queue_many(
        [
            Delivery(
                kind=event,
                channel=Delivery.Channel.WEBHOOK,
                recipient=endpoint.url,
                lead=lead,
                endpoint=endpoint,
                payload={"type": event, "timestamp": timestamp, "data": data},
            )
            for endpoint in endpoints
            for lead, data in subjects
        ]
    )
