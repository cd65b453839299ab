"""How the admin dashboard draws the funnel (leads.selectors.funnel): the server-side SVG
chart's geometry. No reads here."""

from dataclasses import dataclass
from datetime import date

QUARTER_WEEKS = 13
PENDING_AGES_DAYS = (2, 7)
NEWEST_PENDING = 5

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
class Chart:
    bars: list[Bar]
    total: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    baseline_y: int = CHART_HEIGHT - CHART_BOTTOM
    label_y: int = CHART_HEIGHT - 10


def weekly_chart(weeks: list[tuple[date, int]]) -> Chart:
    """Bar geometry in SVG user units for leads per week (the template only prints these numbers)."""
    if not weeks:
        return Chart(bars=[], total=0)
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
    return Chart(bars=bars, total=sum(count for _, count in weeks))
