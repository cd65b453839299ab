"""The intake emails: built from templates by one helper, sent through the default mailer.

Each email `<name>` has three templates in templates/emails/: `<name>_subject.txt`,
`<name>_body.txt` and `<name>_body.html`. The HTML body is autoescaped like any page; the
subject is collapsed onto one line, so nothing a prospect types can add a header.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User

from .models import Lead

logger = logging.getLogger(__name__)

SUBJECT_MAX_CHARS = 200


def attorney_recipients() -> list[str]:
    """ATTORNEY_NOTIFY_EMAILS, or else every active member of the Attorneys group."""
    if settings.ATTORNEY_NOTIFY_EMAILS:
        return list(settings.ATTORNEY_NOTIFY_EMAILS)
    return list(User.objects.attorneys().exclude(email="").order_by("email").values_list("email", flat=True))


def build_email(name: str, context: dict, *, to: list[str], reply_to: list[str] | None = None):
    """An EmailMultiAlternatives from the `emails/<name>_*` templates (text and HTML)."""
    subject = render_to_string(f"emails/{name}_subject.txt", context)
    # One line, whatever the context held: a line break in a header would start a new one.
    subject = " ".join(subject.split())[:SUBJECT_MAX_CHARS]
    text = render_to_string(f"emails/{name}_body.txt", context)
    html = render_to_string(f"emails/{name}_body.html", context)
    message = EmailMultiAlternatives(subject, text, to=to, reply_to=reply_to or [])
    message.attach_alternative(html, "text/html")
    return message


def admin_url(lead: Lead) -> str:
    """Absolute link to the lead's page in the admin."""
    return settings.SITE_URL + reverse("admin:leads_lead_change", args=[lead.pk])


def send_lead_confirmation(lead: Lead) -> int:
    """Tell the prospect their application arrived. Returns how many messages were sent."""
    message = build_email("lead_confirmation", {"lead": lead}, to=[lead.email])
    return message.send()


def send_lead_notification(lead: Lead) -> int:
    """Tell the attorneys about a new lead, with a link to it in the admin."""
    recipients = attorney_recipients()
    if not recipients:
        logger.warning("No attorney to notify about lead %s (set ATTORNEY_NOTIFY_EMAILS).", lead.pk)
        return 0
    context = {"lead": lead, "admin_url": admin_url(lead)}
    message = build_email("lead_notification", context, to=recipients, reply_to=[lead.email])
    return message.send()


SENDERS = {
    "lead_confirmation": send_lead_confirmation,
    "lead_notification": send_lead_notification,
}
