"""The firm's business time: FIRM_HOURS (`mon-fri 09:00-17:00; sat 10:00-12:00`) on the wall
clock of FIRM_TIME_ZONE, and arithmetic in business minutes over it.

A week is a list of opening ranges per weekday. Each range is placed on the calendar in the
firm's zone and measured in real time (UTC), so a range that spans a daylight-saving change
is as long as the clocks make it, and a moment outside hours counts from the next opening.

`parse_hours` says exactly what is wrong with a text that does not parse; settings-time
validation (leads.checks) and the worker use the same parser.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A week with no opening at all cannot serve a deadline; a search past this many days means so.
SEARCH_DAYS = 400
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

Week = tuple[tuple[tuple[time, time], ...], ...]  # seven days, Monday first, each its ranges


def _day_indexes(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ImproperlyConfigured(
                f"FIRM_HOURS: {part.strip()!r} is not a day or a range of days (use mon, tue, wed, "
                "thu, fri, sat, sun, or a range such as mon-fri)."
            )
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise ImproperlyConfigured(f"FIRM_HOURS: the day range {part.strip()!r} runs backwards.")
        days.extend(range(start, end + 1))
    return days


def _clock(hours: str, minutes: str, whole: str) -> time:
    h, m = int(hours), int(minutes)
    if h == 24 and m == 0:
        return time.max
    if h > 23 or m > 59:
        raise ImproperlyConfigured(f"FIRM_HOURS: {whole!r} is not a time of day (00:00 to 24:00).")
    return time(h, m)


def parse_hours(text: str) -> Week:
    """FIRM_HOURS as seven days of (opening, closing) ranges, Monday first.

    Groups are separated by `;`, each `DAYS RANGE[ RANGE…]`: `mon-fri 09:00-12:00 13:00-17:00;
    sat 10:00-12:00`. Raises ImproperlyConfigured naming what is wrong.
    """
    week: list[list[tuple[time, time]]] = [[] for _ in DAYS]
    groups = [group.strip().lower() for group in text.split(";") if group.strip()]
    if not groups:
        raise ImproperlyConfigured(
            "FIRM_HOURS is empty: give at least one opening, e.g. mon-fri 09:00-17:00."
        )
    for group in groups:
        days_text, *ranges = group.split()
        if not ranges:
            raise ImproperlyConfigured(f"FIRM_HOURS: {group!r} names days but no hours (e.g. 09:00-17:00).")
        days = _day_indexes(days_text)
        for range_text in ranges:
            match = _RANGE.match(range_text)
            if not match:
                raise ImproperlyConfigured(
                    f"FIRM_HOURS: {range_text!r} is not a range of hours like 09:00-17:00."
                )
            opening = _clock(match[1], match[2], range_text)
            closing = _clock(match[3], match[4], range_text)
            if closing <= opening:
                raise ImproperlyConfigured(f"FIRM_HOURS: {range_text!r} closes before it opens.")
            for day in days:
                week[day].append((opening, closing))
    for day, ranges in enumerate(week):
        ranges.sort()
        for (_, closing), (opening, _) in pairwise(ranges):
            if opening < closing:
                raise ImproperlyConfigured(f"FIRM_HOURS: the hours of {DAYS[day]} overlap.")
    return tuple(tuple(ranges) for ranges in week)


def parse_zone(name: str) -> ZoneInfo:
    """FIRM_TIME_ZONE as a zone; ImproperlyConfigured when the name is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(f"FIRM_TIME_ZONE: {name!r} is not a known time zone.") from exc


@lru_cache(maxsize=8)
def _parsed(hours: str, zone: str) -> tuple[Week, ZoneInfo]:
    return parse_hours(hours), parse_zone(zone)


def firm_calendar() -> tuple[Week, ZoneInfo]:
    """The configured week and zone (parsed once per value)."""
    return _parsed(settings.FIRM_HOURS, settings.FIRM_TIME_ZONE)


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    # In UTC: Python compares and subtracts two datetimes of one tzinfo on their wall clocks,
    # which would make a range that spans a daylight-saving change an hour off.
    if clock == time.max:  # 24:00: the next day's midnight
        return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


def openings(start: datetime, *, week: Week, zone: ZoneInfo, days: int = SEARCH_DAYS):
    """The opening ranges (aware datetimes) of the local days from `start`'s, in order."""
    day = start.astimezone(zone).date()
    for offset in range(days):
        current = day + timedelta(days=offset)
        for opening, closing in week[current.weekday()]:
            yield _at(current, opening, zone), _at(current, closing, zone)


def add_business_minutes(
    moment: datetime, minutes: float, *, week: Week | None = None, zone=None
) -> datetime:
    """The moment `minutes` business minutes after `moment` (from the next opening when
    `moment` is outside hours)."""
    if week is None or zone is None:
        week, zone = firm_calendar()
    left = timedelta(minutes=minutes)
    moment_tz, moment = moment.tzinfo, moment.astimezone(UTC)
    for opening, closing in openings(moment, week=week, zone=zone):
        if closing <= moment:
            continue
        begin = max(opening, moment)
        if left <= closing - begin:
            return (begin + left).astimezone(moment_tz)
        left -= closing - begin
    raise ValueError("FIRM_HOURS has no opening in the coming year.")


def business_minutes_between(start: datetime, end: datetime, *, week: Week | None = None, zone=None) -> float:
    """Business minutes from `start` to `end` (negative when `end` is earlier)."""
    if end < start:
        return -business_minutes_between(end, start, week=week, zone=zone)
    if week is None or zone is None:
        week, zone = firm_calendar()
    total = timedelta()
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    span = (end.astimezone(zone).date() - start.astimezone(zone).date()).days + 2
    for opening, closing in openings(start, week=week, zone=zone, days=span):
        if opening >= end:
            break
        begin, finish = max(opening, start), min(closing, end)
        if finish > begin:
            total += finish - begin
    return total.total_seconds() / 60


def add_business_days(moment: datetime, days: int, *, week: Week | None = None, zone=None) -> datetime:
    """The same wall-clock time `days` business days (days with any opening) after `moment`."""
    if week is None or zone is None:
        week, zone = firm_calendar()
    local = moment.astimezone(zone)
    day, counted = local.date(), 0
    for _ in range(SEARCH_DAYS * 2):
        if counted >= days:
            break
        day += timedelta(days=1)
        counted += bool(week[day.weekday()])
    return datetime.combine(day, local.time(), tzinfo=zone).astimezone(UTC).astimezone(moment.tzinfo)


def first_opening_on(day: date, *, week: Week | None = None, zone=None) -> datetime | None:
    """When the firm opens on local `day`, or None when it stays closed."""
    if week is None or zone is None:
        week, zone = firm_calendar()
    ranges = week[day.weekday()]
    return _at(day, ranges[0][0], zone) if ranges else None


def local_date(moment: datetime) -> date:
    """`moment`'s date on the firm's calendar."""
    return moment.astimezone(firm_calendar()[1]).date()
