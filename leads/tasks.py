"""Background work, run by `manage.py db_worker` (django.tasks with django_tasks_db).

django.tasks has no retry of its own, so a failed send schedules the next attempt itself:
the same task again with `attempt + 1` and `run_after` pushed out by an exponential,
capped backoff (EMAIL_RETRY_BASE_SECONDS, doubling, at most EMAIL_RETRY_MAX_SECONDS), up to
EMAIL_MAX_ATTEMPTS attempts. Every failure is logged; the lead itself is never touched.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from .emails import SENDERS
from .models import Lead

logger = logging.getLogger(__name__)

NEW_LEAD_EMAILS = ("lead_confirmation", "lead_notification")
# What a mail server being down or refusing looks like; anything else is a bug, not retried.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)


def retry_delay(attempt: int) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1-based)."""
    seconds = settings.EMAIL_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, settings.EMAIL_RETRY_MAX_SECONDS))


def enqueue_new_lead_emails(lead_id: str) -> None:
    """Queue the prospect's confirmation and the attorneys' notification, one task each
    (so a retry of one never sends the other twice)."""
    with transaction.atomic():  # one commit for both rows, not two
        for name in NEW_LEAD_EMAILS:
            send_lead_email.enqueue(name, lead_id)


@task
def send_lead_email(name: str, lead_id: str, attempt: int = 1) -> int:
    """Send email `name` about one lead; on a mail-server failure, schedule a retry."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        logger.info("Lead %s is gone; email %s not sent.", lead_id, name)
        return 0
    try:
        return SENDERS[name](lead)
    except TRANSIENT_ERRORS as exc:
        if attempt >= settings.EMAIL_MAX_ATTEMPTS:
            logger.error(
                "Email %s for lead %s failed on attempt %d of %d, giving up: %r",
                name,
                lead_id,
                attempt,
                settings.EMAIL_MAX_ATTEMPTS,
                exc,
            )
            raise
        delay = retry_delay(attempt)
        logger.warning(
            "Email %s for lead %s failed on attempt %d of %d, retrying in %ds: %r",
            name,
            lead_id,
            attempt,
            settings.EMAIL_MAX_ATTEMPTS,
            delay.total_seconds(),
            exc,
        )
        send_lead_email.using(run_after=timezone.now() + delay).enqueue(name, lead_id, attempt + 1)
        raise
