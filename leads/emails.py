"""Building and sending the intake emails."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from accounts.models import User

from .models import Lead

ATTORNEYS_GROUP = "Attorneys"


def attorney_recipients() -> list[str]:
    """ATTORNEY_NOTIFY_EMAILS, or else every active member of the Attorneys group."""
    if settings.ATTORNEY_NOTIFY_EMAILS:
        return list(settings.ATTORNEY_NOTIFY_EMAILS)
    return list(
        User.objects.active()
        .filter(groups__name=ATTORNEYS_GROUP)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def send_new_lead_emails(lead_id: str) -> None:
    """Confirmation to the prospect, notification to the attorneys."""
    lead = Lead.objects.filter(pk=lead_id).first()
    if lead is None:
        return
    send_mail(
        "We received your application",
        f"Dear {lead.first_name},\n\nThank you, we received your application and will be in touch.",
        None,
        [lead.email],
    )
    recipients = attorney_recipients()
    if recipients:
        link = settings.SITE_URL + reverse("admin:leads_lead_change", args=[lead.pk])
        send_mail(f"New lead: {lead.full_name}", f"A new lead is waiting: {link}", None, recipients)
