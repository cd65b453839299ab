"""Business time: FIRM_HOURS parsed (or refused, saying why) and minutes added and measured
across evenings, weekends and daylight-saving changes."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.testing import ROOT
from leads.business_time import (
    add_business_days,
    add_business_minutes,
    business_minutes_between,
    parse_hours,
    parse_zone,
)

NEW_YORK = ZoneInfo("America/New_York")
OFFICE = parse_hours("mon-fri 09:00-17:00")
SPLIT = parse_hours("mon-fri 09:00-12:00 13:00-17:00; sat 10:00-12:00")


def ny(*args) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def add(moment, minutes, week=OFFICE):
    return add_business_minutes(moment, minutes, week=week, zone=NEW_YORK)


def between(start, end, week=OFFICE):
    return business_minutes_between(start, end, week=week, zone=NEW_YORK)


def test_minutes_within_the_same_opening_are_added_as_they_are():
    assert add(ny(2026, 12, 2, 10, 0), 60) == ny(2026, 12, 2, 11, 0)


def test_an_evening_lead_is_due_an_hour_after_the_next_morning_opening():
    assert add(ny(2026, 12, 2, 19, 30), 60) == ny(2026, 12, 3, 10, 0)


def test_minutes_left_at_friday_closing_carry_over_to_monday():
    assert add(ny(2026, 12, 4, 16, 30), 60) == ny(2026, 12, 7, 9, 30)


def test_a_weekend_lead_counts_from_monday_morning():
    assert add(ny(2026, 12, 5, 11, 0), 60) == ny(2026, 12, 7, 10, 0)


def test_the_lunch_break_between_two_ranges_does_not_count():
    assert add(ny(2026, 12, 2, 11, 30), 60, SPLIT) == ny(2026, 12, 2, 13, 30)


def test_saturday_hours_count_when_the_firm_has_them():
    assert add(ny(2026, 12, 4, 16, 30), 60, SPLIT) == ny(2026, 12, 5, 10, 30)


def test_the_spring_daylight_saving_change_keeps_opening_at_nine_local():
    # 2026-03-08: clocks go from 02:00 EST to 03:00 EDT; Friday 16:30 EST + 60 min is Monday 09:30 EDT.
    due = add(ny(2026, 3, 6, 16, 30), 60)
    assert due == ny(2026, 3, 9, 9, 30)
    assert due.astimezone(UTC) == datetime(2026, 3, 9, 13, 30, tzinfo=UTC)


def test_the_autumn_daylight_saving_change_keeps_opening_at_nine_local():
    due = add(ny(2026, 10, 30, 16, 30), 60)
    assert due.astimezone(UTC) == datetime(2026, 11, 2, 14, 30, tzinfo=UTC)


def test_a_range_across_a_daylight_saving_change_is_as_long_as_the_clocks_make_it():
    night = parse_hours("sun 01:00-04:00")
    # 2026-03-08 01:00 EST to 04:00 EDT is two real hours.
    minutes = business_minutes_between(ny(2026, 3, 8, 0, 0), ny(2026, 3, 8, 5, 0), week=night, zone=NEW_YORK)
    assert minutes == 120


def test_minutes_between_skip_nights_and_weekends():
    assert between(ny(2026, 12, 4, 16, 30), ny(2026, 12, 7, 9, 30)) == 60


def test_minutes_between_are_negative_backwards():
    assert between(ny(2026, 12, 7, 9, 30), ny(2026, 12, 4, 16, 30)) == -60


def test_minutes_between_outside_hours_are_zero():
    assert between(ny(2026, 12, 5, 9, 0), ny(2026, 12, 6, 18, 0)) == 0


def test_adding_then_measuring_gives_the_minutes_back():
    start = ny(2026, 3, 5, 15, 17)
    assert between(start, add(start, 1234)) == pytest.approx(1234)


def test_a_moment_in_another_zone_is_placed_on_the_firms_clock():
    # 14:30 UTC is 09:30 in New York in December.
    assert add(datetime(2026, 12, 2, 14, 30, tzinfo=UTC), 30) == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def test_business_days_skip_the_weekend():
    assert add_business_days(ny(2026, 12, 3, 15, 0), 2, week=OFFICE, zone=NEW_YORK) == ny(2026, 12, 7, 15, 0)


def test_hours_until_midnight_are_accepted_as_24_00():
    assert parse_hours("sat 18:00-24:00")[5][0][1].hour == 23


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "FIRM_HOURS is empty"),
        ("mon-fry 09:00-17:00", "'mon-fry' is not a day"),
        ("mon-fri", "names days but no hours"),
        ("mon-fri 9-17", "'9-17' is not a range of hours"),
        ("mon-fri 17:00-09:00", "closes before it opens"),
        ("mon-fri 25:00-26:00", "is not a time of day"),
        ("fri-mon 09:00-17:00", "runs backwards"),
        ("mon 09:00-12:00 11:00-13:00", "the hours of mon overlap"),
    ],
)
def test_hours_that_do_not_parse_are_refused_with_what_is_wrong(text, says):
    with pytest.raises(ImproperlyConfigured, match=says):
        parse_hours(text)


def test_an_unknown_time_zone_is_refused_by_name():
    with pytest.raises(ImproperlyConfigured, match="'Mars/Olympus' is not a known time zone"):
        parse_zone("Mars/Olympus")


def test_settings_refuse_to_load_with_hours_that_do_not_parse():
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "x", "FIRM_HOURS": "weekdays 9 to 5"}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "FIRM_HOURS: 'weekdays' is not a day" in done.stderr
