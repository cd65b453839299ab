"""What follows a change, done by the worker: the fan-out of one queued task into deliveries.

A request does only what must be atomic (the lead row and one task); everything that may
be slow or may fail — picking recipients, writing delivery rows, sending — happens here,
each fan-out in one transaction that holds the lead's row lock.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction

from accounts.models import User

from . import deliveries, emails, services, tasks
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
    """A new lead: its assignee (LEAD_AUTO_ASSIGN), the prospect's confirmation, the
    attorneys' notification (which says who it was assigned to), its resume's text."""
    if settings.LEAD_AUTO_ASSIGN == "round_robin":
        assignee = Lead.objects.next_assignee()
        if assignee is not None:
            services.assign_leads(leads=Lead.objects.filter(pk=lead.pk), to=assignee, by=None)
            lead.assigned_to = assignee
    deliveries.queue_prospect_email(lead=lead, kind=Delivery.Kind.CONFIRMATION)
    notify_attorneys(lead, kind=Delivery.Kind.NOTIFICATION)
    tasks.extract_resume_text.enqueue(str(lead.pk))


def lead_resubmitted(lead: Lead, resubmission: Resubmission) -> None:
    """A known address applied again: a short "received again" email to the address on
    file, and the attorneys told."""
    payload = {"resubmission": str(resubmission.pk)}
    deliveries.queue_prospect_email(lead=lead, kind=Delivery.Kind.RESUBMISSION_CONFIRMATION, payload=payload)
    notify_attorneys(lead, kind=Delivery.Kind.RESUBMISSION_NOTIFICATION, payload=payload)
    tasks.extract_resubmission_text.enqueue(str(resubmission.pk))


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


def emit(event: str, lead_ids, data: dict | None = None) -> None:
    """Queue ONE task for an event that happened to `lead_ids`, in the caller's transaction;
    the worker's `handle_event` makes the deliveries it causes."""
    tasks.handle_event.enqueue(event, [str(pk) for pk in lead_ids], data or {})


def handle_event(event: str, lead_ids: list[str], data: dict) -> str:
    """The worker's fan-out of one event into the deliveries it causes; returns a summary."""
    fan_out = {"lead.assigned": lead_assigned}.get(event)
    if fan_out is None:
        return "nothing to do"
    with transaction.atomic():
        return fan_out(lead_ids, data)


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
