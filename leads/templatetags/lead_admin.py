"""The lead list's status badges and its date drill-down, drawn from the calendar instead of
from the rows.

Django's own `date_hierarchy` tag runs `SELECT DISTINCT date_trunc(...)` over the whole
filtered list plus a MIN/MAX of it; at a million leads that is 0.3-7 s per page. Here the
years come from the table's first and last lead (LeadSummary: two ends of lead_created_idx,
read with the counts above the list) and the months and days from the calendar, so a link
may lead to an empty list, never a slow one.
"""

import calendar
from datetime import date

from django import template
from django.conf import settings
from django.utils import formats, timezone
from django.utils.text import capfirst

from leads import recipients
from leads.admin import display
from leads.models import Delivery, Lead
from leads.selectors import LeadSummary

register = template.Library()


register.filter("status_css", display.status_css)


@register.simple_tag
def trash_days() -> int:
    """LEAD_TRASH_DAYS: how long a deleted lead can be restored (the delete confirmations)."""
    return settings.LEAD_TRASH_DAYS


@register.filter
def status_label(value: str) -> str:
    """A status as people read it: REACHED_OUT -> 'Reached out'."""
    return Lead.Status(value).label


@register.filter
def delivery_status_label(value: str) -> str:
    """A delivery's status as people read it: printed -> 'Printed, not sent'."""
    return Delivery.Status(value).label


register.filter("duration", display.format_duration)
register.filter("admin_time", display.compact_time)


@register.simple_tag
def shown_recipient(delivery: dict, viewer) -> str:
    """A timeline delivery's recipient as `viewer` may see it (leads.recipients)."""
    return recipients.shown_recipient(
        delivery["recipient"], is_webhook=delivery["channel"] == Delivery.Channel.WEBHOOK, viewer=viewer
    )


@register.inclusion_tag("admin/date_hierarchy.html")
def lead_date_hierarchy(cl, summary: LeadSummary) -> dict:
    """The context of admin/date_hierarchy.html for `cl`; the years span `summary`'s leads."""
    field = cl.date_hierarchy
    year, month, day = (cl.params.get(f"{field}__{part}") for part in ("year", "month", "day"))
    field_name = cl.model._meta.get_field(field).verbose_name

    def link(filters: dict) -> str:
        return cl.get_query_string(filters, [f"{field}__"])

    def choice(filters: dict, title: str) -> dict:
        return {"link": link(filters), "title": capfirst(title)}

    keys = {"year": f"{field}__year", "month": f"{field}__month", "day": f"{field}__day"}
    if year and month and day:
        picked = date(int(year), int(month), int(day))
        return {
            "show": True,
            "back": {"link": link({keys["year"]: year, keys["month"]: month}), "title": str(year)},
            "choices": [{"title": capfirst(formats.date_format(picked, "MONTH_DAY_FORMAT"))}],
            "field_name": field_name,
        }
    if year and month:
        last_day = calendar.monthrange(int(year), int(month))[1]
        days = [date(int(year), int(month), d) for d in range(1, last_day + 1)]
        return {
            "show": True,
            "back": {"link": link({keys["year"]: year}), "title": str(year)},
            "choices": [
                choice(
                    {keys["year"]: year, keys["month"]: month, keys["day"]: d.day},
                    formats.date_format(d, "MONTH_DAY_FORMAT"),
                )
                for d in days
            ],
            "field_name": field_name,
        }
    if year:
        months = [date(int(year), m, 1) for m in range(1, 13)]
        return {
            "show": True,
            "back": {"link": link({}), "title": "All dates"},
            "choices": [
                choice(
                    {keys["year"]: year, keys["month"]: m.month},
                    formats.date_format(m, "YEAR_MONTH_FORMAT"),
                )
                for m in months
            ],
            "field_name": field_name,
        }
    if summary.first_created_at is None:
        return {"show": False}
    first, last = (
        timezone.localtime(summary.first_created_at).year,
        timezone.localtime(summary.last_created_at).year,
    )
    return {
        "show": True,
        "back": None,
        "choices": [choice({keys["year"]: str(y)}, str(y)) for y in range(first, last + 1)],
        "field_name": field_name,
    }
