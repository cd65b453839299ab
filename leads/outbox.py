"""What follows a change, done by the worker: the fan-out of one queued task into deliveries.

A request does only what must be atomic (the lead row and one task); everything that may
be slow or may fail — picking recipients, writing delivery rows, sending — happens here,
each fan-out in one transaction that holds the lead's row lock.

Submissions queue `tasks.process_application`; every later change to leads (reached out,
assigned, deleted) queues one `tasks.handle_event` through `emit()`, however many leads it
touched, so a bulk action over a thousand leads costs its request one task row.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from . import deliveries, emails, tasks, webhooks
from .models import Delivery, Lead, Resubmission


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
            storage.delete(application["resume"])
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
    """A new lead: the prospect's confirmation, the attorneys' notification, the
    subscribers' lead.created calls."""
    deliveries.queue_prospect_email(lead=lead, kind=Delivery.Kind.CONFIRMATION)
    notify_attorneys(lead, kind=Delivery.Kind.NOTIFICATION)
    webhooks.queue_calls(Delivery.Kind.LEAD_CREATED, leads=[lead])


def lead_resubmitted(lead: Lead, resubmission: Resubmission) -> None:
    """A known address applied again: a short "received again" email to the address on
    file, the attorneys told, the subscribers' lead.resubmitted calls."""
    payload = {"resubmission": str(resubmission.pk)}
    deliveries.queue_prospect_email(lead=lead, kind=Delivery.Kind.RESUBMISSION_CONFIRMATION, payload=payload)
    notify_attorneys(lead, kind=Delivery.Kind.RESUBMISSION_NOTIFICATION, payload=payload)
    webhooks.queue_calls(Delivery.Kind.LEAD_RESUBMITTED, leads=[lead])


def emit(event: str, lead_ids: Iterable, data: dict | None = None) -> None:
    """Queue ONE task for what `event` on these leads causes, in the caller's transaction."""
    tasks.handle_event.enqueue(event, [str(pk) for pk in lead_ids], data)


def handle_event(event: str, lead_ids: list[str], data: dict | None) -> str:
    """What an event after the fact causes (run by the worker): the subscribers' calls.

    The leads are locked while their deliveries are written, so a deletion meanwhile waits
    and then takes them along; a lead deleted before is skipped (its lead.deleted says so).
    """
    with transaction.atomic():
        if event == Delivery.Kind.LEAD_DELETED:
            calls = webhooks.queue_calls(event, deleted_ids=lead_ids)
        else:
            leads = (
                Lead.objects.filter(pk__in=lead_ids)
                .select_related("reached_out_by")
                .select_for_update(of=("self",))
                .order_by("created_at", "id")
            )
            calls = webhooks.queue_calls(event, leads=leads)
    return f"{len(calls)} webhook calls"


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
