"""The conversion report's rollup (issue 27): the report at a million leads costs about what
it costs at ten thousand.

Per group (source, assignee, practice area) and UTC day of creation, ConversionRollup keeps
the day's figures and the running sum through that day, so any window's folded full days
cost two rows a group (the sum through its last day minus the sum through the day before
its first), whatever the window's length or the table's size. The rest of the window is read
live from the leads: today and any day not folded yet, the window's partial first and last
days, and the folded days an attorney's action has changed since (ConversionStaleDay), less
their folded figures. Every count is exact and current.

Medians come from histograms on buckets 2^(1/32) wide in (1 + seconds): a median read from
folded days is within 1.1% of (1 + the exact median); one read from live leads only is exact.

- mark_changed(ids): called in the transaction of every action that changes a counted
  field of a lead created before today (leads.services; every assignment, the system's
  round-robin pick included, in leads.worker.fanout). The intake request never marks: today
  is always read live.
- fold(): the worker's periodic pass (and `manage.py fold_conversion`): folds the stale days
  and every whole day past FOLD_MARGIN not folded yet; one worker at a time (the state row is
  claimed with SKIP LOCKED), removing only the marks it read.
"""

import json
import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import (
    Case,
    DateTimeField,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Extract, Floor, Greatest, Ln, TruncDate
from django.utils import timezone

from accounts.models import User

from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ConversionFold,
    ConversionRollup,
    ConversionStaleDay,
    Lead,
    PracticeArea,
)

logger = logging.getLogger("leads.rollup")

# `by` -> the lead's column the rollup keys its groups by.
DIMENSIONS = {"source": "source", "assigned_to": "assigned_to_id", "practice_area": "practice_area_id"}
# Buckets per doubling of (1 + seconds): 2^(1/32) wide (2.2%), so a bucket's middle is
# within 1.1% of any value in it.
BUCKETS_PER_DOUBLING = 32
# A day is folded once it ended this long ago: an intake that began before midnight has
# committed by then (an intake marks nothing, so the fold must not read a day still filling).
FOLD_MARGIN = timedelta(minutes=15)
# How often the day under way is folded again (its leads since the last cut are read live).
TODAY_EVERY = timedelta(minutes=5)
# How many new days one fold reads at most: the first fold of a large table goes a quarter
# at a time (at a million leads over two years, about 2 s a step), never holding up the
# worker's loop for the whole table at once.
FOLD_DAYS = 92
COUNTS = ("leads", "open", "reached_out", "retained", "declined", "referred", "no_response")
OUTCOMES = {status: COUNTS.index(status.lower()) for status in CLOSED_STATUSES}


def bucket_of(seconds: float) -> int:
    return math.floor(BUCKETS_PER_DOUBLING * math.log2(1 + max(seconds, 0.0)))


def bucket_value(bucket: int) -> float:
    """The seconds a bucket stands for: its middle, in the log scale."""
    return 2 ** ((bucket + 0.5) / BUCKETS_PER_DOUBLING) - 1


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass
class Tally:
    """One group's figures: counts, histograms of the waits, and (live leads) the exact waits."""

    counts: list[int] = field(default_factory=lambda: [0] * len(COUNTS))
    reach: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    close: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    reach_exact: list[float] = field(default_factory=list)
    close_exact: list[float] = field(default_factory=list)
    # Stored histograms added (add), summed as dense lists: a list's sum, not a dict update
    # a bucket (a quarter's report adds two rows of hundreds of buckets a group).
    reach_dense: list[int] = field(default_factory=list)
    close_dense: list[int] = field(default_factory=list)

    def add_lead(
        self, status: str, to_reach_out: float | None, to_close: float | None, *, exact: bool
    ) -> None:
        """Count one lead, with its seconds to reach out and to close (None: not yet)."""
        counts = self.counts
        counts[0] += 1
        if status in OPEN_STATUSES:
            counts[1] += 1
        else:
            counts[OUTCOMES[status]] += 1
        if to_reach_out is not None:
            counts[2] += 1
            if exact:
                self.reach_exact.append(to_reach_out)
            else:
                self.reach[bucket_of(to_reach_out)] += 1
        if to_close is not None:
            if exact:
                self.close_exact.append(to_close)
            else:
                self.close[bucket_of(to_close)] += 1

    def add(self, stored: dict, sign: int = 1) -> None:
        """Add (sign -1: take away) figures as stored in a ConversionRollup."""
        self.counts = [mine + sign * n for mine, n in zip(self.counts, stored["n"], strict=True)]
        self.reach_dense = _dense_sum(self.reach_dense, stored["r"], sign)
        self.close_dense = _dense_sum(self.close_dense, stored["c"], sign)

    def merge(self, other: "Tally") -> None:
        for i, n in enumerate(other.counts):
            self.counts[i] += n
        for mine, theirs in ((self.reach, other.reach), (self.close, other.close)):
            for bucket, n in theirs.items():
                mine[bucket] += n
        self.reach_exact += other.reach_exact
        self.close_exact += other.close_exact
        self.reach_dense = _dense_sum(self.reach_dense, other.reach_dense)
        self.close_dense = _dense_sum(self.close_dense, other.close_dense)

    def stored(self) -> dict:
        """The figures as a ConversionRollup stores them (of leads added one by one)."""
        return {"n": list(self.counts), "r": _dense(self.reach), "c": _dense(self.close)}

    @property
    def empty(self) -> bool:
        return not any(self.counts)

    def median_to_reach_out(self) -> float | None:
        return _median(self.reach_dense, self.reach, self.reach_exact)

    def median_to_close(self) -> float | None:
        return _median(self.close_dense, self.close, self.close_exact)


def _dense(histogram: dict[int, int]) -> list[int]:
    buckets = [bucket for bucket, n in histogram.items() if n]
    if not buckets:
        return []
    low, high = min(buckets), max(buckets)
    return [low, *(histogram.get(bucket, 0) for bucket in range(low, high + 1))]


def _median(dense: list[int], histogram: dict[int, int], exact: list[float]) -> float | None:
    """The median (the mean of the two middle ones for an even count, as PostgreSQL's
    percentile_cont) of the exact values and the histograms', each bucket at its middle. The
    dense histogram is walked in bucket order, up to the middle only."""
    others = [(bucket_value(bucket), n) for bucket, n in histogram.items() if n > 0]
    others += [(value, 1) for value in exact]
    others.sort()
    counts = dense[1:]
    total = sum(n for n in counts if n > 0) + sum(n for _, n in others)
    if not total:
        return None
    wanted = sorted({(total - 1) // 2, total // 2})
    found, seen, j = [], 0, 0
    for bucket, n in enumerate(counts, dense[0] if dense else 0):
        if n <= 0:
            continue
        value = bucket_value(bucket)
        while j < len(others) and others[j][0] <= value and wanted:
            seen += others[j][1]
            while wanted and wanted[0] < seen:
                found.append(others[j][0])
                wanted.pop(0)
            j += 1
        seen += n
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
        if not wanted:
            break
    for value, n in others[j:]:
        if not wanted:
            break
        seen += n
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return sum(found) / len(found)


# -- Marks ------------------------------------------------------------------------------


def mark_changed(leads: Iterable | QuerySet) -> None:
    """Mark the creation days of these leads (ids, or a queryset of them) stale, in one
    statement of the caller's transaction: the report reads those days live until the next
    fold. Today's too, since the day under way is folded as it goes. Nothing to mark: no
    statement."""
    if isinstance(leads, QuerySet):
        leads = leads.values("pk")
    else:
        leads = list(leads)
        if not leads:
            return
    now = timezone.now()
    days = (
        Lead.all_objects.filter(pk__in=leads)
        .order_by()
        .annotate(day=TruncDate("created_at", tzinfo=UTC))
        .values("day")
        .distinct()
    )
    try:
        select, params = days.query.sql_with_params()
    except EmptyResultSet:  # an empty queryset's SQL (pk__in=[]): nothing to mark
        return
    connection = connections[days.db]
    table = connection.ops.quote_name(ConversionStaleDay._meta.db_table)
    marked_at = connection.ops.adapt_datetimefield_value(now)
    # The table's name is the model's and the SELECT is Django's, its values passed as params.
    insert = f"INSERT INTO {table} (day, version, marked_at) SELECT marked.day, 1, %s FROM ({select}) marked"  # noqa: S608
    upsert = f"ON CONFLICT (day) DO UPDATE SET version = {table}.version + 1, marked_at = excluded.marked_at"
    sql = f"{insert} WHERE marked.day IS NOT NULL {upsert}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [marked_at, *params])


# -- The report -------------------------------------------------------------------------


def conversion_tallies(by: str, created_after, created_before) -> dict:
    """Per group key (as the rollup keys it: source, or primary key as text, "" none), the
    Tally of the kept leads created in [created_after, created_before)."""
    column = DIMENSIONS[by]
    after = created_after.astimezone(UTC) if created_after is not None else None
    before = created_before.astimezone(UTC) if created_before is not None else None
    states = list(
        ConversionFold.objects.annotate(zero=Value(0))
        .values_list("folded_until", "zero", "cut")
        .union(
            ConversionStaleDay.objects.annotate(no_cut=Value(None, output_field=DateTimeField())).values_list(
                "day", "version", "no_cut"
            ),
            all=True,
        )
    )
    folded_until, cut = next(((day, cut) for day, version, cut in states if version == 0), (None, None))
    stale_days = {day for day, version, _ in states if version != 0}
    # The folded days of the window: [low, high); None: from the first. The leads from
    # `live_from` on are read live: the window's last partial day, or with the day under way
    # folded up to its cut, those created since the cut.
    low = None if after is None else after.date() + timedelta(days=after != midnight(after.date()))
    high = folded_until
    if cut is not None and (before is None or before >= cut):
        high, live_from = folded_until + timedelta(days=1), cut
    elif high is not None:
        if before is not None:
            high = min(high, before.date())
        live_from = midnight(high)
    tallies: dict[str, Tally] = defaultdict(Tally)
    window = Q()
    if after is not None:
        window &= Q(created_at__gte=after)
    if before is not None:
        window &= Q(created_at__lt=before)
    if high is not None and (low is None or low < high):
        stale = sorted(day for day in stale_days if (low is None or low <= day) and day < high)
        _add_folded(tallies, by, low, high, stale)
        live = Q(created_at__gte=live_from)
        if low is not None:
            live |= Q(created_at__lt=midnight(low))
        for day in stale:
            live |= Q(created_at__gte=midnight(day), created_at__lt=midnight(day + timedelta(days=1)))
        # The medians go through the histograms anyway: the live leads' waits join them,
        # counted by the database (today's leads grow with the table; its groups do not).
        _add_grouped(tallies, column, Lead.objects.filter(window & live))
    else:  # nothing folded in the window: every lead read, every median exact
        for key, status, to_reach_out, to_close in lead_rows(Lead.objects.filter(window), column):
            tallies["" if key is None else str(key)].add_lead(status, to_reach_out, to_close, exact=True)
    return {key: tally for key, tally in tallies.items() if not tally.empty}


def _add_grouped(tallies: dict, column: str, leads) -> None:
    """Add `leads` read live, their waits into the histograms: on PostgreSQL grouped by the
    database, a few hundred rows whatever their number."""
    leads = leads.order_by()
    if connections[leads.db].vendor != "postgresql":
        for key, status, to_reach_out, to_close in lead_rows(leads, column):
            tallies["" if key is None else str(key)].add_lead(status, to_reach_out, to_close, exact=False)
        return
    per_lead = leads.values_list(
        column, "status", *(_bucket_expression(moment) for moment in ("reached_out_at", "closed_at"))
    )
    select, params = per_lead.query.sql_with_params()
    # Counts per (group, status), and per (group, bucket) of each wait; GROUPING() tells which.
    grouped = (
        "SELECT k, status, r, c, count(*), GROUPING(status, r, c) FROM ("  # noqa: S608 (Django's SQL)
        f"{select}) AS lead (k, status, r, c) GROUP BY GROUPING SETS ((k, status), (k, r), (k, c))"
    )
    with connections[leads.db].cursor() as cursor:
        cursor.execute(grouped, params)
        for key, status, reach, close, n, grouping in cursor.fetchall():
            tally = tallies["" if key is None else str(key)]
            if grouping == 0b011:  # by status
                tally.counts[0] += n
                tally.counts[1 if status in OPEN_STATUSES else OUTCOMES[status]] += n
            elif grouping == 0b101 and reach is not None:  # by bucket of the wait to reach out
                tally.counts[2] += n
                tally.reach[reach] += n
            elif grouping == 0b110 and close is not None:
                tally.close[close] += n


def _bucket_expression(moment: str):
    """PostgreSQL: bucket_of(seconds from creation to `moment`), null while it is null."""
    seconds = Greatest(Cast(Extract(F(moment) - F("created_at"), "epoch"), FloatField()), Value(0.0))
    log2 = Ln(seconds + Value(1.0)) / Value(math.log(2))
    bucket = Cast(Floor(log2 * Value(float(BUCKETS_PER_DOUBLING))), IntegerField())
    # (GREATEST skips a null: without the guard an open lead would wait 0 s.)
    return Case(When(**{f"{moment}__isnull": False}, then=bucket), default=None, output_field=IntegerField())


def lead_rows(leads, *columns: str):
    """(*columns, status, seconds to reach out, seconds to close) of each of `leads`; the
    seconds computed by PostgreSQL, which then sends floats rather than three timestamps."""
    leads = leads.order_by()
    if connections[leads.db].vendor == "postgresql":
        seconds = {
            name: Cast(Extract(F(moment) - F("created_at"), "epoch"), FloatField())
            for name, moment in (("to_reach_out", "reached_out_at"), ("to_close", "closed_at"))
        }
        yield from leads.values_list(*columns, "status", *seconds.values()).iterator(chunk_size=20_000)
        return
    moments = leads.values_list(*columns, "status", "created_at", "reached_out_at", "closed_at")
    for *values, created_at, reached_out_at, closed_at in moments.iterator(chunk_size=20_000):
        yield (
            *values,
            None if reached_out_at is None else (reached_out_at - created_at).total_seconds(),
            None if closed_at is None else (closed_at - created_at).total_seconds(),
        )


def _add_folded(tallies: dict, by: str, low: date | None, high: date, stale: list[date]) -> None:
    """Add the folded figures of [low, high) less those of the stale days (read live)."""
    rows = ConversionRollup.objects.filter(dimension=by).order_by()
    last, before_first = high - timedelta(days=1), low and low - timedelta(days=1)
    if connections[rows.db].vendor == "postgresql":
        for key, through, earlier in _through_pairs(rows.db, by, last, before_first):
            if through is not None:
                tallies[key].add(_json(through))
            if earlier is not None:
                tallies[key].add(_json(earlier), -1)
    else:
        for key, through in _through(rows, last):
            tallies[key].add(through)
        if before_first is not None:
            for key, through in _through(rows, before_first):
                tallies[key].add(through, -1)
    if stale:
        for key, figures in rows.filter(day__in=stale).values_list("key", "figures"):
            tallies[key].add(figures, -1)


# ConversionRollup's table by name (its Meta names none: Django's default).
THROUGH_PAIRS = """
    WITH RECURSIVE groups(key) AS (
        (SELECT key FROM leads_conversionrollup WHERE dimension = %(by)s ORDER BY key LIMIT 1)
        UNION ALL
        SELECT (
            SELECT key FROM leads_conversionrollup
            WHERE dimension = %(by)s AND key > groups.key ORDER BY key LIMIT 1
        )
        FROM groups WHERE groups.key IS NOT NULL
    )
    SELECT
        groups.key,
        (
            SELECT through FROM leads_conversionrollup r
            WHERE r.dimension = %(by)s AND r.key = groups.key AND r.day <= %(last)s
            ORDER BY r.day DESC LIMIT 1
        ),
        (
            SELECT through FROM leads_conversionrollup r
            WHERE r.dimension = %(by)s AND r.key = groups.key AND r.day <= %(first)s
            ORDER BY r.day DESC LIMIT 1
        )
    FROM groups WHERE groups.key IS NOT NULL
"""


def _through_pairs(db: str, by: str, last: date, before_first: date | None) -> list[tuple]:
    """PostgreSQL: per group, its sums through `last` and through `before_first` (None: none)
    in one query of a few index probes a group, whatever the rollup's length: the groups by
    a skip scan of conversion_rollup_unique, each sum by the latest row on or before its day."""
    with connections[db].cursor() as cursor:
        cursor.execute(THROUGH_PAIRS, {"by": by, "last": last, "first": before_first})
        return cursor.fetchall()


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _through(rows, day: date):
    """Per group, the row holding its sum through `day` (its latest row on or before it)."""
    before = rows.filter(day__lte=day)
    latest = before.filter(key=OuterRef("key")).order_by("-day").values("day")[:1]
    return before.filter(day=Subquery(latest)).values_list("key", "through")


def by_name(by: str, tallies: dict[str, Tally]) -> dict[str | None, Tally]:
    """The tallies under the report's keys: the source itself, the assignee's username or the
    practice area's slug (None for none). A user deleted since leaves its leads assigned to
    nobody (SET NULL): the rollup's figures under its id join nobody's."""
    names = key_names(by, tallies)
    named: dict[str | None, Tally] = {}
    for key, tally in tallies.items():
        name = names.get(key)
        if name in named:
            named[name].merge(tally)
        else:
            named[name] = tally
    return named


def key_names(by: str, keys: Iterable[str]) -> dict[str, str | None]:
    """The report's key of each rollup key: the source itself, the assignee's username or
    the practice area's slug (None for none, or for one that is gone)."""
    if by == "source":
        return {key: key for key in keys}
    ids = [key for key in keys if key]
    names: dict[str, str | None] = {"": None}
    if ids:
        if by == "assigned_to":
            found = User.objects.filter(pk__in=ids).values_list("pk", "username")
        else:
            found = PracticeArea.objects.filter(pk__in=ids).values_list("pk", "slug")
        names |= {str(pk): name for pk, name in found}
    return names


# -- The fold ---------------------------------------------------------------------------


def fold(now: datetime | None = None) -> int:
    """Fold the stale days, the whole days not folded yet and the day under way (its leads
    created before FOLD_MARGIN ago, again every TODAY_EVERY) into the rollup; returns how many
    days it folded (0 when another worker holds the state or nothing is due)."""
    now = now or timezone.now()
    cut = now - FOLD_MARGIN  # leads created before it have committed
    until = cut.astimezone(UTC).date()  # days before it are whole
    state = ConversionFold.objects.first()
    if state is None:
        ConversionFold.objects.get_or_create(pk=1)
    if (
        state is not None
        and state.cut is not None
        and state.folded_until >= until
        and state.cut > cut - TODAY_EVERY
        and not ConversionStaleDay.objects.filter(day__lte=until).exists()
    ):
        return 0  # the usual answer: two small reads, no transaction
    with transaction.atomic():
        state = ConversionFold.objects.select_for_update(skip_locked=True).filter(pk=1).first()
        if state is None:
            return 0
        start = state.folded_until  # with a cut, that day is folded again whole or to the new cut
        if start is None:
            first = Lead.objects.order_by("created_at").values_list("created_at", flat=True).first()
            start = first.astimezone(UTC).date() if first is not None else until
        end = max(start, min(until, start + timedelta(days=FOLD_DAYS)))
        # Caught up: the day under way is folded too, up to the cut.
        partial = end == until
        # Read before the leads: a mark made after this read (a new day, a higher version)
        # stays, and its day is folded again next time.
        marks = dict(
            ConversionStaleDay.objects.filter(
                day__lte=end if partial else end - timedelta(days=1)
            ).values_list("day", "version")
        )
        stale = {day: version for day, version in marks.items() if day < start}
        days = sorted(stale) + [start + timedelta(days=n) for n in range((end - start).days)]
        _fold_days(stale, start, end, cut=cut if partial else None)
        for day, version in marks.items():
            ConversionStaleDay.objects.filter(day=day, version=version).delete()
        state.folded_until, state.cut = end, (cut if partial else None)
        state.save(update_fields=["folded_until", "cut"])
    logger.info(
        "Conversion rollup: %d days folded%s.", len(days), " and the day under way" if partial else ""
    )
    return len(days) + partial


def _fold_days(marks: dict, start: date, end: date, *, cut: datetime | None = None) -> None:
    """Recompute the day rows of the stale days and of [start, end) (with `cut`, of the day
    `end` too, its leads created before the cut), then the running sums of every group they
    touch from its first changed day on."""
    where = Q(created_at__gte=midnight(start), created_at__lt=cut or midnight(end))
    for day in marks:
        where |= Q(created_at__gte=midnight(day), created_at__lt=midnight(day + timedelta(days=1)))
    fresh: dict[tuple[str, str, date], Tally] = defaultdict(Tally)
    leads = Lead.objects.filter(where).annotate(day=TruncDate("created_at", tzinfo=UTC))
    dimensions = list(DIMENSIONS)
    for *keys, day, status, to_reach_out, to_close in lead_rows(leads, *DIMENSIONS.values(), "day"):
        for by, key in zip(dimensions, keys, strict=True):
            fresh[(by, "" if key is None else str(key), day)].add_lead(
                status, to_reach_out, to_close, exact=False
            )
    refolded = set(marks) | {start + timedelta(days=n) for n in range((end - start).days + (cut is not None))}
    new: dict[tuple[str, str], dict[date, dict]] = defaultdict(dict)
    for (by, key, day), tally in fresh.items():
        new[(by, key)][day] = tally.stored()
    old: dict[tuple[str, str], dict[date, dict]] = defaultdict(dict)
    refolded_rows = ConversionRollup.objects.filter(Q(day__in=marks) | Q(day__gte=start, day__lt=end))
    for by, key, day, figures in refolded_rows.values_list("dimension", "key", "day", "figures"):
        old[(by, key)][day] = figures
    # Only the groups whose figures changed, from the first day they changed: closing one old
    # lead rewrites its three groups' rows from its day on, not every group's.
    for series in new.keys() | old.keys():
        changed = [day for day in refolded if new[series].get(day) != old[series].get(day)]
        if changed:
            _rewrite_series(*series, since=min(changed), refolded=refolded, new=new[series])


def _rewrite_series(by: str, key: str, *, since: date, refolded: set, new: dict[date, dict]) -> None:
    """Write a group's rows from `since` on again: the refolded days' `new` figures, the other
    days' as they were, and the running sums through each."""
    series = ConversionRollup.objects.filter(dimension=by, key=key)
    previous = series.filter(day__lt=since).order_by("-day").values_list("through", flat=True).first()
    days = {
        day: figures
        for day, figures in series.filter(day__gte=since).values_list("day", "figures")
        if day not in refolded
    }
    days |= {day: figures for day, figures in new.items() if day >= since}
    running = previous or {"n": [0] * len(COUNTS), "r": [], "c": []}
    rows = []
    for day in sorted(days):
        figures = days[day]
        running = {
            "n": [a + b for a, b in zip(running["n"], figures["n"], strict=True)],
            "r": _dense_sum(running["r"], figures["r"]),
            "c": _dense_sum(running["c"], figures["c"]),
        }
        rows.append(ConversionRollup(dimension=by, key=key, day=day, figures=figures, through=running))
    series.filter(day__gte=since).delete()
    ConversionRollup.objects.bulk_create(rows, batch_size=500)


def _dense_sum(a: list[int], b: list[int], sign: int = 1) -> list[int]:
    """a + sign * b, both dense histograms ([first bucket, count, …])."""
    if not b:
        return a
    if not a:
        return b if sign == 1 else [b[0], *(-n for n in b[1:])]
    low = min(a[0], b[0])
    total = [0] * (max(a[0] + len(a), b[0] + len(b)) - 1 - low)
    start = a[0] - low
    total[start : start + len(a) - 1] = a[1:]
    start = b[0] - low
    end = start + len(b) - 1
    if sign == 1:
        total[start:end] = [x + y for x, y in zip(total[start:end], b[1:], strict=True)]
    else:
        total[start:end] = [x - y for x, y in zip(total[start:end], b[1:], strict=True)]
    return [low, *total]


def rebuild() -> int:
    """Forget the rollup and fold every whole day again (after leads were written around the
    services: seed_leads, a bulk import, an UPDATE by hand); returns how many days it folded."""
    with transaction.atomic():
        ConversionRollup.objects.all().delete()
        ConversionStaleDay.objects.all().delete()
        ConversionFold.objects.update_or_create(pk=1, defaults={"folded_until": None, "cut": None})
    folded = 0
    while days := fold():
        folded += days
    return folded
