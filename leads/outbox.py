"""What follows a change, done by the worker: the fan-out of one queued task into deliveries.

A request does only what must be atomic (the lead row and one task); everything that may
be slow or may fail — picking recipients, writing delivery rows, sending — happens here,
each fan-out in one transaction that holds the lead's row lock.

Submissions queue `tasks.process_application`; every later change to leads (reached out,
assigned, deleted) queues one `tasks.handle_event` through `emit()`, however many leads it
touched, so a bulk action over a thousand leads costs its request one task row.
"""

import json
import logging
import re
from collections.abc import Collection, Iterable
from datetime import datetime

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Lower
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.models import User

from . import deliveries, emails, services, tasks, webhooks
from .deliveries import RetryPolicy
from .models import SHARED_RESUME_PREFIX, Delivery, Lead, Resubmission
from .validators import email_key

logger = logging.getLogger(__name__)

# Words are what lies between spaces, quotes, brackets and the like: "ada@example.com" and a
# lead's id are one word each, "lovelace.ada@example.com" is another word.
DELIMITERS = r"""\s"'<>()\[\]{},;:=/\\"""
WORD = re.compile(f"[^{DELIMITERS}]+")

# A file that could not be removed is tried again 30 s later, then 1 min, 2 min ... at most
# an hour apart (about 4.5 hours in all); after the last attempt the task fails (visible
# in the admin's task results) and purge_leads' orphan sweep removes the file later.
FILE_REMOVAL_RETRY = RetryPolicy(max_attempts=10, base_seconds=30, max_seconds=3600)


def process_application(application: dict) -> str:
    """A submission's fan-out: the new lead's emails, or — when its address was already on
    file and the form inserted nothing — the resubmission recorded on the existing lead."""
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=application["lead_id"]).first()
        if lead is not None:
            lead_created(lead)
            return "created"
        if not application["resubmit"]:
            return "gone"  # created and deleted again before the worker came to it
        storage = Resubmission._meta.get_field("resume").storage
        lead = Lead.objects.select_for_update().by_email(application["email"])
        if lead is None or not storage.exists(application["resume"]):
            # No lead under this address any more (deleted or erased since), or this was
            # a new lead deleted again with its file: keep nothing of the submission.
            remove_files([application["resume"]])
            return "discarded"
        resubmission = Resubmission.objects.create(
            lead=lead,
            resume=application["resume"],
            created_at=datetime.fromisoformat(application["submitted_at"]),
            source=application["source"],
            referrer=application["referrer"],
        )
        lead_resubmitted(lead, resubmission)
        return "resubmitted"


def lead_created(lead: Lead) -> None:
    """A new lead: its assignee (LEAD_AUTO_ASSIGN), the prospect's confirmation, the
    attorneys' notification (which says who it was assigned to), its resume's text, the
    subscribers' lead.created calls."""
    if settings.LEAD_AUTO_ASSIGN == "round_robin":
        assignee = Lead.objects.next_assignee()
        if assignee is not None:
            services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=assignee, by=None)
            lead.assigned_to = assignee
    deliveries.queue_prospect_email(lead=lead, kind=Delivery.Kind.CONFIRMATION)
    notify_attorneys(lead, kind=Delivery.Kind.NOTIFICATION)
    tasks.extract_resume_text.enqueue(str(lead.pk))
    webhooks.queue_calls(Delivery.Kind.LEAD_CREATED, leads=[lead])


def lead_resubmitted(lead: Lead, resubmission: Resubmission) -> None:
    """A known address applied again: a short "received again" email to the address on
    file, the attorneys told, the subscribers' lead.resubmitted calls."""
    payload = {"resubmission": str(resubmission.pk)}
    deliveries.queue_prospect_email(lead=lead, kind=Delivery.Kind.RESUBMISSION_CONFIRMATION, payload=payload)
    notify_attorneys(lead, kind=Delivery.Kind.RESUBMISSION_NOTIFICATION, payload=payload)
    tasks.extract_resubmission_text.enqueue(str(resubmission.pk))
    webhooks.queue_calls(Delivery.Kind.LEAD_RESUBMITTED, leads=[lead])


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


def emit(event: str, lead_ids: Iterable, data: dict | None = None) -> None:
    """Queue ONE task for an event that happened to `lead_ids`, in the caller's transaction;
    the worker's `handle_event` makes the deliveries it causes."""
    tasks.handle_event.enqueue(event, [str(pk) for pk in lead_ids], data or {})


def handle_event(event: str, lead_ids: list[str], data: dict | None) -> str:
    """What an event after the fact causes (run by the worker): the assignee's emails for
    lead.assigned, and the subscribers' calls for every event; returns a summary.

    The leads are locked while their deliveries are written, so a deletion meanwhile waits
    and then takes them along; a lead deleted before is skipped (its lead.deleted says so).
    """
    data = data or {}
    with transaction.atomic():
        if event == Delivery.Kind.LEAD_DELETED:
            return f"{len(webhooks.queue_calls(event, deleted_ids=lead_ids))} webhook calls"
        leads = (
            Lead.objects.filter(pk__in=lead_ids)
            .select_related("reached_out_by", "assigned_to")
            .select_for_update(of=("self",))
            .order_by("created_at", "id")
        )
        emailed = lead_assigned(lead_ids, data) if event == Delivery.Kind.LEAD_ASSIGNED else "no emails"
        return f"{emailed}; {len(webhooks.queue_calls(event, leads=leads))} webhook calls"


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


class FilesNotRemoved(Exception):
    """Files the storage refused to remove at every attempt."""


def remove_files(names: list[str], attempt: int = 1) -> str:
    """Remove stored files whose rows are gone; a shared file only once no lead points at it.

    What the storage fails to remove is queued again (tasks.remove_files) with backoff; the
    names are the random ones files are stored under, never anything of the prospect.
    """
    failed, reason = [], ""
    for name in names:
        if name.startswith(SHARED_RESUME_PREFIX) and Lead.objects.filter(resume=name).exists():
            continue
        try:
            default_storage.delete(name)
        except Exception as exc:  # whatever the storage raises: OSError, botocore's errors, ...
            failed.append(name)
            reason = type(exc).__name__
    if not failed:
        return f"removed {len(names)}"
    if attempt >= FILE_REMOVAL_RETRY.max_attempts:
        raise FilesNotRemoved(f"{len(failed)} file(s) not removed after {attempt} attempts ({reason})")
    delay = FILE_REMOVAL_RETRY.delay(attempt)
    tasks.remove_files.using(run_after=timezone.now() + delay).enqueue(failed, attempt + 1)
    logger.warning(
        "%d of %d file(s) not removed (%s); attempt %d of %d in %d s",
        len(failed),
        len(names),
        reason,
        attempt + 1,
        FILE_REMOVAL_RETRY.max_attempts,
        delay.total_seconds(),
    )
    return f"removed {len(names) - len(failed)}; {len(failed)} to retry"


def task_rows_mentioning(*, lead_ids: Collection, emails: Collection[str]) -> QuerySet[DBTaskResult]:
    """Task rows, queued or finished, that name one of these leads or addresses.

    A submission (process_application) is matched by its lead id or its address, in SQL: by
    the address's normalised form (validators.email_key), which submissions carry, and, for
    rows queued before they did, by the address as typed in any letter case (both sides
    lowered by the database). Tasks that carry only our own row ids or random file names
    (send_delivery, remove_files: most of the table) are not searched; any other task, and
    every failure's error text, is read word by word here, so the cost follows those rows,
    not how many leads are looked for.
    """
    ids = [str(pk) for pk in lead_ids]
    keys = {email_key(email) for email in emails} - {""}
    typed = [Lower(Value(email, output_field=TextField())) for email in emails if email]
    submissions = Q(task_path=tasks.process_application.module_path) & (
        Q(submitted_lead__in=ids) | Q(submitted_email__in=[*sorted(keys), *typed])
    )
    anonymous = [tasks.process_application, tasks.send_delivery, tasks.remove_files]
    others = DBTaskResult.objects.filter(
        ~Q(task_path__in=[task.module_path for task in anonymous]) | Q(status=TaskResultStatus.FAILED)
    )
    needles = {needle.lower() for needle in [*ids, *emails, *keys]}
    named = [
        pk
        for pk, args, result, error in others.values_list("pk", "args_kwargs", "return_value", "traceback")
        if needles & words(f"{json.dumps([args, result], ensure_ascii=False)} {error}")
    ]
    return DBTaskResult.objects.alias(
        # Cast: a plain text comparison, not the JSON one `__in` would make of a key transform.
        submitted_lead=Cast(KT("args_kwargs__args__0__lead_id"), TextField()),
        submitted_email=Lower(KT("args_kwargs__args__0__email")),
    ).filter(submissions | Q(pk__in=named))


def words(text: str) -> set[str]:
    """The words of `text`, lowered, an address or an id each one word."""
    return {word.lower() for word in WORD.findall(text)}


def waiting_application_files(rows: QuerySet[DBTaskResult]) -> set[str]:
    """The resume files of the submissions among `rows` that the worker has not processed."""
    waiting = rows.filter(
        task_path=tasks.process_application.module_path,
        status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
    )
    return {args_kwargs["args"][0]["resume"] for args_kwargs in waiting.values_list("args_kwargs", flat=True)}
