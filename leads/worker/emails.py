"""The emails: built from templates by one helper, one recipient each, sent by the worker.

Each email `<name>` has three templates in templates/emails/: `<name>_subject.txt`,
`<name>_body.txt` and `<name>_body.html`. The HTML body is autoescaped like any page; the
subject is collapsed onto one line, so nothing a prospect types can add a header. Emails to
a prospect never repeat what was typed into the form: the address was typed by whoever
submitted it, so the firm's mail must not carry their words to it.
"""

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string

from accounts.models import User
from leads import selectors
from leads.models import Delivery, Lead, Resubmission

from .failures import DeliveryFailed, Sent

SUBJECT_MAX_CHARS = 200
TEMPLATES = {
    Delivery.Kind.CONFIRMATION: "lead_confirmation",
    Delivery.Kind.RESUBMISSION_CONFIRMATION: "lead_received_again",
    Delivery.Kind.NOTIFICATION: "lead_notification",
    Delivery.Kind.RESUBMISSION_NOTIFICATION: "lead_resubmitted",
    Delivery.Kind.ASSIGNMENT: "lead_assigned",
    # Speed to lead (leads.worker.followups).
    Delivery.Kind.ESCALATION: "lead_overdue",
    Delivery.Kind.SECOND_ESCALATION: "lead_overdue_twice",
    Delivery.Kind.STALE_REMINDER: "lead_quiet",
    Delivery.Kind.OVERDUE_SUMMARY: "overdue_summary",
    Delivery.Kind.DIGEST: "digest",
    Delivery.Kind.LETTER: "letter",
}
# How many leads a summary or a digest lists (the rest: a link to the list).
LISTED_LEADS = 50
# Emails to attorneys about a lead: a reply goes to the prospect.
ATTORNEY_KINDS = (Delivery.Kind.NOTIFICATION, Delivery.Kind.RESUBMISSION_NOTIFICATION)
# smtplib raises SMTPDataError for any answer to the message but 250, so a send through
# SMTP that returns was answered 250 (Django's mail API does not pass the reply on).
SMTP_ACCEPTED = 250


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


def context_for(delivery: Delivery) -> dict:
    """What the delivery's templates show: the lead, its admin link, the resubmission."""
    lead = delivery.lead
    if lead is None:
        return context_for_many(delivery)
    context = {"lead": lead, "admin_url": admin_url(lead), "firm_name": settings.FIRM_NAME}
    if delivery.kind == Delivery.Kind.STALE_REMINDER:
        context["stale_days"] = settings.LEAD_STALE_DAYS
    if resubmission_id := delivery.payload.get("resubmission"):
        context["resubmission"] = Resubmission.objects.filter(pk=resubmission_id).first()
    if delivery.kind == Delivery.Kind.ASSIGNMENT:
        context["assigned_by"] = delivery.payload.get("assigned_by") or "the system"
    if delivery.kind == Delivery.Kind.LETTER:
        # Written when the lead closed (leads.letters): the letter as it was decided.
        context["letter_subject"] = delivery.payload.get("subject", "")
        context["letter_body"] = delivery.payload.get("body", "")
    return context


def language_for(delivery: Delivery) -> str:
    """An email to the lead's own address speaks the prospect's language (Lead.language);
    every other (the attorneys') LANGUAGE_CODE."""
    lead = delivery.lead
    if lead is not None and delivery.kind not in ATTORNEY_KINDS and delivery.recipient_key == lead.email_key:
        return lead.language
    return settings.LANGUAGE_CODE


def context_for_many(delivery: Delivery) -> dict:
    """A summary's or a digest's templates: the leads it lists (read now, at most
    LISTED_LEADS), how many there are, and the list in the admin for the rest."""
    list_url = settings.SITE_URL + reverse("admin:leads_lead_changelist")
    if delivery.kind == Delivery.Kind.DIGEST:
        user = User.objects.filter(pk=delivery.payload.get("user")).first()
        listed, count, overdue = selectors.open_leads_of(user, limit=LISTED_LEADS)
        list_url += f"?assigned_to={user.pk}" if user else ""
    else:  # OVERDUE_SUMMARY
        ids = delivery.payload.get("leads", [])
        listed = [(lead, True) for lead in Lead.objects.for_lists().filter(pk__in=ids).order_by("created_at")]
        count, overdue = delivery.payload.get("count", len(listed)), 0
        list_url += "?overdue=true"
    return {
        "leads": [{"lead": lead, "overdue": late, "url": admin_url(lead)} for lead, late in listed],
        "count": count,
        "overdue": overdue,
        "more": max(count - len(listed), 0),
        "list_url": list_url,
        "firm_name": settings.FIRM_NAME,
    }


def is_console_mailer() -> bool:
    """True when emails would only be printed (EMAIL_URL unset or consolemail://)."""
    return settings.MAILERS["default"]["BACKEND"].endswith("console.EmailBackend")


def is_smtp_mailer() -> bool:
    """True when emails go to a mail server over SMTP (Django's SMTP backend or one built on it)."""
    return issubclass(import_string(settings.MAILERS["default"]["BACKEND"]), SmtpBackend)


def send(delivery: Delivery) -> Sent:
    """Send one email delivery to its one recipient; returns the server's reply code (250, or
    None when the mail backend asks no server: file, memory), or that the console mailer only
    printed it (DEBUG without EMAIL_URL).

    Raises DeliveryFailed: permanent for a 5xx refusal of the recipient or the message,
    temporary for everything a mail server being away looks like.
    """
    printed = is_console_mailer()
    if printed and not settings.DEBUG:
        # Printing would put prospects' names and addresses in the logs.
        raise DeliveryFailed(
            "Not sent: no mail server is configured (set EMAIL_URL); "
            "with DEBUG off emails are never printed.",
            permanent=True,
        )
    reply_to = [delivery.lead.email] if delivery.kind in ATTORNEY_KINDS else None
    with translation.override(language_for(delivery)):
        message = build_email(
            TEMPLATES[delivery.kind], context_for(delivery), to=[delivery.recipient], reply_to=reply_to
        )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        code, answer = next(iter(exc.recipients.values()))
        raise DeliveryFailed(smtp_answer(code, answer), permanent=code >= 500, status_code=code) from exc
    except smtplib.SMTPDataError as exc:
        raise DeliveryFailed(
            smtp_answer(exc.smtp_code, exc.smtp_error),
            permanent=exc.smtp_code >= 500,
            status_code=exc.smtp_code,
        ) from exc
    except smtplib.SMTPResponseException as exc:  # sender refused, authentication, 4xx
        raise DeliveryFailed(smtp_answer(exc.smtp_code, exc.smtp_error), status_code=exc.smtp_code) from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, disconnected
        raise DeliveryFailed(f"Mail server unreachable: {type(exc).__name__}: {exc}") from exc
    if printed:
        return Sent(None, printed=True)
    return Sent(SMTP_ACCEPTED if is_smtp_mailer() else None)


def smtp_answer(code: int, answer: bytes | str) -> str:
    """The server's reply as people read it: '550 5.1.1 No such user'."""
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    return f"{code} {' '.join(text.split())}"
