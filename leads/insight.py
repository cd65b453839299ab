"""The intake funnel at a glance: the numbers and the server-drawn chart of the admin dashboard."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from .estimates import EXACT_COUNT_LIMIT, estimated_count, table_estimate
from .models import Lead

QUARTER_WEEKS = 13
PENDING_AGES_DAYS = (2, 7)

CHART_WIDTH = 720
CHART_HEIGHT = 240
CHART_TOP = 20  # room for the value above the tallest bar
CHART_BOTTOM = 30  # room for the week labels


@dataclass(frozen=True)
class Bar:
    week: date
    count: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    value_y: float


@dataclass(frozen=True)
class PendingAge:
    days: int
    count: int
    is_estimate: bool = False


@dataclass(frozen=True)
class Funnel:
    weeks: list[tuple[date, int]]
    bars: list[Bar]
    median_seconds: float | None
    median_since: date
    pending: list[PendingAge]
    chart_width: int = CHART_WIDTH
    chart_height: int = CHART_HEIGHT
    baseline_y: int = CHART_HEIGHT - CHART_BOTTOM
    label_y: int = CHART_HEIGHT - 10

    @property
    def median_display(self) -> str:
        return format_duration(self.median_seconds)

    @property
    def total_in_chart(self) -> int:
        return sum(count for _, count in self.weeks)


def funnel() -> Funnel:
    """Leads per week over the last quarter, the median wait for a reach-out among leads
    reached in that quarter, and how many are still pending after 2 and 7 days: 4-6 queries."""
    weeks = Lead.objects.count_per_week(QUARTER_WEEKS)
    since = timezone.now() - timedelta(weeks=QUARTER_WEEKS)
    # reached_out_at >= since is served by the partial index lead_reached_out_idx.
    median = Lead.objects.filter(reached_out_at__gte=since).median_seconds_to_reach_out()
    # Exact up to 10,000 each (a bounded count), the planner's estimate above.
    pending = [
        estimated_count(Lead.objects.pending_older_than(timedelta(days=days))) for days in PENDING_AGES_DAYS
    ]
    return Funnel(
        weeks=weeks,
        bars=chart_bars(weeks),
        median_seconds=median,
        median_since=timezone.localtime(since).date(),
        pending=[
            PendingAge(days, count, is_estimate)
            for days, (count, is_estimate) in zip(PENDING_AGES_DAYS, pending, strict=True)
        ],
    )


STATS_CACHE_KEY = "leads:stats"
PENDING_TOO_LONG = timedelta(hours=48)


def lead_stats() -> dict:
    """Counts per status, total, median seconds to reach out, leads pending over 48 hours.

    Each figure reads the whole table (0.1-0.4 s apiece at a million leads), so above
    EXACT_COUNT_LIMIT leads on PostgreSQL the result is reused for LEAD_STATS_CACHE_SECONDS;
    smaller tables are always computed afresh.
    """
    if not _is_large(Lead):
        return _compute_lead_stats()
    return cache.get_or_set(STATS_CACHE_KEY, _compute_lead_stats, settings.LEAD_STATS_CACHE_SECONDS)


def _is_large(model) -> bool:
    connection = connections[model.objects.db]
    return connection.vendor == "postgresql" and table_estimate(model._meta.db_table) > EXACT_COUNT_LIMIT


def _compute_lead_stats() -> dict:
    leads = Lead.objects.all()
    counts = leads.count_by_status()
    return {
        **counts,
        "total": sum(counts.values()),
        "median_seconds_to_reach_out": leads.median_seconds_to_reach_out(),
        "pending_older_than_48h": leads.pending_older_than(PENDING_TOO_LONG).count(),
    }


def chart_bars(weeks: list[tuple[date, int]]) -> list[Bar]:
    """Bar geometry in SVG user units (the template only prints these numbers)."""
    if not weeks:
        return []
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = CHART_WIDTH / len(weeks)
    width = slot * 0.7
    tallest = max(count for _, count in weeks) or 1
    bars = []
    for i, (week, count) in enumerate(weeks):
        height = round(plot_height * count / tallest, 1)
        x = round(i * slot + (slot - width) / 2, 1)
        y = round(CHART_HEIGHT - CHART_BOTTOM - height, 1)
        bars.append(
            Bar(
                week=week,
                count=count,
                x=x,
                y=y,
                width=round(width, 1),
                height=height,
                label_x=round(x + width / 2, 1),
                value_y=round(y - 5, 1),
            )
        )
    return bars


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
