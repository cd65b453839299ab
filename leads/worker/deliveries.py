"""Deliveries: every email and webhook call is a row people can see, and this module makes
and attempts them.

`queue()` records a delivery and queues its first attempt inside the caller's transaction;
`refuse()` records one that cannot be attempted at all (nobody to send to, the prospect's
daily limit), failed at once with the reason. `attempt()` is one try, run by the worker:
claimed first, so of two racing workers exactly one sends; a temporary fault schedules the
next try with a capped exponential backoff, a permanent one fails at once, and either way
the error is kept on the row.
"""

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.tasks import task
from django.utils import timezone

from leads.models import Delivery, Lead, WebhookEndpoint
from leads.validators import email_key

from . import emails, webhooks
from .failures import DeliveryFailed, RetryPolicy, Sent

logger = logging.getLogger(__name__)

# The kinds that go to a prospect's address, counted against PROSPECT_EMAILS_PER_DAY.
PROSPECT_KINDS = (Delivery.Kind.CONFIRMATION, Delivery.Kind.RESUBMISSION_CONFIRMATION, Delivery.Kind.LETTER)


def retry_policy(channel: str) -> RetryPolicy:
    """The backoff settings of a channel."""
    if channel == Delivery.Channel.WEBHOOK:
        return RetryPolicy(
            settings.WEBHOOK_MAX_ATTEMPTS,
            settings.WEBHOOK_RETRY_BASE_SECONDS,
            settings.WEBHOOK_RETRY_MAX_SECONDS,
        )
    return RetryPolicy(
        settings.EMAIL_MAX_ATTEMPTS, settings.EMAIL_RETRY_BASE_SECONDS, settings.EMAIL_RETRY_MAX_SECONDS
    )


def senders() -> dict[str, Callable[[Delivery], Sent]]:
    """channel -> the function that makes one attempt and says what became of it."""
    return {Delivery.Channel.EMAIL: emails.send, Delivery.Channel.WEBHOOK: webhooks.send}


def stale_after() -> timedelta:
    """How long an attempt may be under way before its worker is taken for dead."""
    return timedelta(seconds=settings.TASK_STALE_SECONDS)


def queue(
    *,
    kind: str,
    channel: str,
    recipient: str,
    lead: Lead | None,
    payload: dict | None = None,
    endpoint: WebhookEndpoint | None = None,
) -> Delivery:
    """Record a delivery and queue its first attempt, in the caller's transaction."""
    delivery = Delivery(
        kind=kind, channel=channel, recipient=recipient, lead=lead, payload=payload or {}, endpoint=endpoint
    )
    return queue_many([delivery])[0]


def queue_many(deliveries: list[Delivery]) -> list[Delivery]:
    """Record unsaved deliveries in one INSERT per batch and queue each one's first attempt,
    in the caller's transaction (a bulk action's fan-out)."""
    for delivery in deliveries:
        delivery.recipient_key = recipient_key(delivery.channel, delivery.recipient)
    created = Delivery.objects.bulk_create(deliveries, batch_size=500)
    for delivery in created:
        send_delivery.enqueue(str(delivery.pk))
    return created


def refuse(*, kind: str, channel: str, recipient: str, lead: Lead | None, reason: str) -> Delivery:
    """Record a delivery that cannot be attempted, failed at once with `reason`."""
    return Delivery.objects.create(
        kind=kind,
        channel=channel,
        recipient=recipient,
        recipient_key=recipient_key(channel, recipient),
        lead=lead,
        status=Delivery.Status.FAILED,
        last_error=reason,
    )


def recipient_key(channel: str, recipient: str) -> str:
    """What a delivery keeps as its recipient_key: an email's address normalised, else nothing."""
    return email_key(recipient) if channel == Delivery.Channel.EMAIL else ""


def queue_prospect_email(*, lead: Lead, kind: str, payload: dict | None = None) -> Delivery:
    """An email to the lead's address on file, unless PROSPECT_EMAILS_PER_DAY went to that
    mailbox (its address in any spelling) in the last 24 hours; then a failed delivery saying
    so. The caller holds the lead's row lock, so two fan-outs for one lead cannot both pass the
    count."""
    limit = settings.PROSPECT_EMAILS_PER_DAY
    since = timezone.now() - timedelta(days=1)
    sent = Delivery.objects.emails_to(lead.email, since=since).filter(kind__in=PROSPECT_KINDS).count()
    if sent >= limit:
        reason = (
            f"Not sent: {sent} emails already went to this address in the last 24 hours "
            f"(PROSPECT_EMAILS_PER_DAY={limit})."
        )
        return refuse(
            kind=kind, channel=Delivery.Channel.EMAIL, recipient=lead.email, lead=lead, reason=reason
        )
    return queue(kind=kind, channel=Delivery.Channel.EMAIL, recipient=lead.email, lead=lead, payload=payload)


@task
def send_delivery(delivery_id: str) -> str:
    """One attempt at one delivery; schedules the next attempt itself on a temporary fault."""
    return attempt(delivery_id)


def attempt(delivery_id: str) -> str:
    """Claim the delivery, try it once, record the outcome; returns what happened."""
    delivery = Delivery.objects.claim(delivery_id, stale_after=stale_after())
    if delivery is None:
        held_since = (
            Delivery.objects.with_status(Delivery.Status.QUEUED)
            .filter(pk=delivery_id)
            .values_list("claimed_at", flat=True)
            .first()
        )
        if held_since is None:
            return "done"  # sent or failed already, or deleted with its lead
        # Another attempt holds it: look again once its claim would count as stale, so a
        # delivery never waits forever on an attempt whose worker died.
        send_delivery.using(run_after=held_since + stale_after() + timedelta(seconds=1)).enqueue(delivery_id)
        return "held"
    try:
        sent = senders()[delivery.channel](delivery)
    except DeliveryFailed as failure:
        return _record_failure(delivery, failure)
    except Exception as exc:
        # A fault of ours, not the recipient's: retried like a temporary fault, its text kept
        # on the row for people to see. The log gets its type and where it was raised, never
        # its text, which may name the recipient (Django's "Invalid address 'jane@…'").
        logger.error(
            "Delivery %s (%s) raised %s\n%s",
            delivery.pk,
            delivery.kind,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
        )
        return _record_failure(delivery, DeliveryFailed(f"Internal error: {type(exc).__name__}: {exc}"))
    status = Delivery.Status.PRINTED if sent.printed else Delivery.Status.SENT
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status,
        attempts=F("attempts") + 1,
        last_error="",
        last_status_code=sent.status_code,
        sent_at=timezone.now(),
        next_attempt_at=None,
        claimed_at=None,
        updated_at=timezone.now(),
    )
    return status.value


def _record_failure(delivery: Delivery, failure: DeliveryFailed) -> str:
    policy = retry_policy(delivery.channel)
    attempts = delivery.attempts + 1
    final = failure.permanent or attempts >= policy.max_attempts
    now = timezone.now()
    next_at = None if final else now + policy.delay(attempts)
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.FAILED if final else Delivery.Status.QUEUED,
            attempts=attempts,
            last_error=failure.message[:2000],
            last_status_code=failure.status_code,
            next_attempt_at=next_at,
            claimed_at=None,
            updated_at=now,
        )
        if not final:
            send_delivery.using(run_after=next_at).enqueue(str(delivery.pk))
    logger.warning(
        "Delivery %s (%s) attempt %d of %d failed%s",
        delivery.pk,
        delivery.kind,
        attempts,
        policy.max_attempts,
        "" if final else f"; next attempt in {int((next_at - now).total_seconds())} s",
    )
    return "failed" if final else "retry"
