"""The lead page's timeline events as HTML, drawn in Python.

The template language spent three quarters of the lead page's time on the 200 newest events
(an if/elif chain and four filters per event), and format_html/date_format still cost about a
tenth of a millisecond each per event. Here each event is one f-string whose every value
goes through `esc` (html.escape, quotes included), and the whole list is marked safe once.
The events come from selectors.timeline; the section around them is
templates/admin/leads/lead/_timeline.html.
"""

from collections.abc import Iterable
from datetime import datetime
from html import escape as esc

from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from leads import recipients
from leads.models import Delivery, Lead
from leads.selectors import TimelineEvent

PRINTED_NOTE = "written to the log only: no mail server is configured (EMAIL_URL)"
STATUS_LABELS = {status.value: status.label for status in Lead.Status}
DELIVERY_LABELS = {status.value: status.label for status in Delivery.Status}


def timeline_html(events: Iterable[TimelineEvent], *, resume_url: str, viewer) -> SafeString:
    """The <li> of each event, oldest first; `resume_url` is the lead's resume download."""
    zone = timezone.get_current_timezone()
    drawn = "".join(_event(event, resume_url, viewer, zone) for event in events)
    return mark_safe(drawn)  # noqa: S308 (every value in it went through esc)


def when(moment: datetime, zone) -> str:
    """'7 Dec 2026, 14:03 UTC': the admin's DATETIME_FORMAT (config/formats/en), written
    directly; display.compact_time writes the same through Django's formats."""
    local = moment.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def _event(event: TimelineEvent, resume_url: str, viewer, zone) -> str:
    kind, detail = event.type, event.detail
    what = _WHAT[kind](detail, resume_url, viewer, zone)
    if event.by:
        what += f' <span class="lead-timeline__by">by {esc(str(event.by))}</span>'
    elif kind == "assigned":
        what += ' <span class="lead-timeline__by">by the system</span>'
    if kind == "note":
        # Escaped, the attorney's line breaks kept as <br> (the linebreaksbr filter's result).
        body = esc(detail["body"]).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
        what += f'<div class="lead-timeline__note">{body}</div>'
    elif kind == "delivery" and detail["error"]:
        attempts = detail["attempts"]
        what += (
            f'<div class="lead-timeline__error">After {attempts} attempt{"" if attempts == 1 else "s"}: '
            f"{esc(detail['error'])}</div>"
        )
    return (
        f'<li class="lead-timeline__event lead-timeline__event--{kind}" data-type="{kind}">'
        f'<time class="lead-timeline__at" datetime="{event.at.isoformat()}">{when(event.at, zone)}</time>'
        f'<div class="lead-timeline__what">{what}</div></li>'
    )


def _origin(detail: dict, *, referrer: bool) -> str:
    source = f" · source {esc(detail['source'])}" if detail.get("source") else ""
    came_from = f" · from {esc(detail['referrer'])}" if referrer and detail.get("referrer") else ""
    return source + came_from


def _submitted(detail: dict, resume_url: str, viewer, zone) -> str:
    return f"<strong>Submitted</strong>{_origin(detail, referrer=True)}"


def _resubmitted(detail: dict, resume_url: str, viewer, zone) -> str:
    href = esc(f"{resume_url}?resubmission={detail['resubmission']}")
    return (
        f"<strong>Applied again</strong>{_origin(detail, referrer=False)}"
        f' · <a class="lead-resubmission-resume" href="{href}">Download this resume</a>'
    )


def _status_changed(detail: dict, resume_url: str, viewer, zone) -> str:
    to, was = STATUS_LABELS[detail["to"]], STATUS_LABELS[detail["from"]].lower()
    referred = f" · referred to {esc(detail['referred_to'])}" if detail.get("referred_to") else ""
    reason = (
        f'<div class="lead-timeline__reason">Reason: {esc(detail["reason"])}</div>'
        if detail.get("reason")
        else ""
    )
    return f"<strong>{esc(to)}</strong> (was {esc(was)}){referred}{reason}"


def _assigned(detail: dict, resume_url: str, viewer, zone) -> str:
    what = f"Assigned to {esc(detail['to'])}" if detail["to"] else "Unassigned"
    was = f" (was {esc(detail['from'])})" if detail["from"] else ""
    return f"<strong>{what}</strong>{was}"


def _note(detail: dict, resume_url: str, viewer, zone) -> str:
    return "<strong>Note</strong>"


def _delivery(detail: dict, resume_url: str, viewer, zone) -> str:
    to = ""
    if detail["recipient"]:
        is_webhook = detail["channel"] == Delivery.Channel.WEBHOOK
        shown = recipients.shown_recipient(detail["recipient"], is_webhook=is_webhook, viewer=viewer)
        to = f" to {esc(shown)}"
    status = esc(detail["status"])
    sent = f" {when(detail['sent_at'], zone)}" if detail["sent_at"] else ""
    printed = (
        f' <span class="lead-timeline__printed">· {PRINTED_NOTE}</span>'
        if detail["status"] == Delivery.Status.PRINTED
        else ""
    )
    return (
        f"<strong>{esc(str(detail['description']))}</strong>{to}: "
        f'<span class="delivery-status delivery-status--{status}" data-status="{status}">'
        f"{esc(str(DELIVERY_LABELS[detail['status']]))}</span>{sent}{printed}"
    )


def _downloaded(detail: dict, resume_url: str, viewer, zone) -> str:
    which = "a resubmitted resume" if detail["resubmission"] else "the resume"
    return f"<strong>Downloaded {which}</strong> ({esc(str(detail['via']))})"


def _lead_event(title: str):
    """A lead event of leads.models.LeadEvent (trashed, restored, the prospect's copy exported)."""

    def draw(detail: dict, resume_url: str, viewer, zone) -> str:
        return f"<strong>{title}</strong>"

    return draw


_WHAT = {
    "submitted": _submitted,
    "resubmitted": _resubmitted,
    "status_changed": _status_changed,
    "assigned": _assigned,
    "note": _note,
    "delivery": _delivery,
    "resume_downloaded": _downloaded,
    "deleted": _lead_event("Moved to the trash"),
    "restored": _lead_event("Restored from the trash"),
    "exported": _lead_event("Prospect's copy exported"),
}
