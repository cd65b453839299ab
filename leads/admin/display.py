"""How the attorneys' pages write values: times short enough for a list's column, a status
as its badge's CSS modifier, durations as people read them. Used by the admin classes and the
lead_admin template tags alike."""

from django.utils import formats, timezone


def compact_time(moment) -> str:
    """'2 Dec 2025, 14:03 UTC' in the server's time zone: the admin's one way of writing a
    moment (DATETIME_FORMAT in config/formats), the same in lists, the lead page and its
    timeline."""
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def status_css(status: str) -> str:
    """The badge's CSS modifier: REACHED_OUT -> reached-out."""
    return status.lower().replace("_", "-")


def format_duration(seconds: float | None) -> str:
    """'2 d 4 h', '3 h 20 min', '12 min', or '—' when there is nothing to show."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
