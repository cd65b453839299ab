"""What follows a change, done by the worker: the fan-out of one queued task into deliveries.

A request does only what must be atomic (the lead row and one task); everything that may
be slow or may fail — picking recipients, writing delivery rows, sending — happens here,
each fan-out in one transaction that holds the lead's row lock.
"""

from datetime import datetime

from django.db import transaction

from . import deliveries, emails, tasks
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
    """A new lead: the prospect's confirmation, the attorneys' notification, its resume's text."""
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
