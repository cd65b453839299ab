"""The read model: what the pages and the API show about many leads or one lead's history,
shared by the admin, the API and the commands. The lead list's summary, the API's stats, the
dashboard's funnel and per-attorney figures (on a large table reused for a while from the
shared cache, so each web process does not read the table on its own), and a lead's timeline.
Reads only: nothing here writes a row.
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import zip_longest
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Q,
    Subquery,
    TextField,
    UUIDField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Extract, TruncWeek
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from accounts.models import User

from . import rollup
from .compiled import CompiledQuery, selected_columns
from .counting import EXACT_COUNT_LIMIT, CountOf, Median, medians, table_rows_estimate, value_share_estimate
from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    Answer,
    AssignmentChange,
    Delivery,
    Lead,
    LeadEvent,
    LeadQuerySet,
    Note,
    PracticeArea,
    Question,
    Resubmission,
    ResumeDownload,
    StatusChange,
    count_per_status,
    is_pending_older_than,
    wait_seconds,
)
from .translations import translated

STATS_CACHE_KEY = "leads:stats"
PENDING_TOO_LONG = timedelta(hours=48)
# The lead page shows this many of the newest events of a lead's timeline ("show all" for more).
TIMELINE_LIMIT = 200
TIMELINE_TYPES = (
    "submitted",
    "resubmitted",
    "status_changed",
    "assigned",
    "note",
    "delivery",
    "resume_downloaded",
    "deleted",
    "restored",
    "exported",
)


@dataclass(frozen=True)
class LeadSummary:
    """What the lead list shows above its rows: leads per status and the span of creation times."""

    counts: dict[str, int]
    is_estimate: bool
    first_created_at: datetime | None
    last_created_at: datetime | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def statuses(self) -> list[tuple[str, str, int]]:
        """(value, label, count) of each status, in the order of Lead.Status."""
        return [(value, label, self.counts[value]) for value, label in Lead.Status.choices]


@dataclass(frozen=True)
class PendingAge:
    days: int
    count: int
    is_estimate: bool


@dataclass(frozen=True)
class Funnel:
    """The intake dashboard's figures (leads.admin.dashboard draws them)."""

    weeks: list[tuple[date, int]]
    median_seconds: float | None
    median_since: date
    pending: list[PendingAge]
    newest_pending: list[Lead]


@dataclass(frozen=True)
class AttorneyFigures:
    """One attorney's row on the dashboard."""

    attorney: Any
    assigned: int
    pending: int
    reached_out: int
    median_seconds: float | None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something on a timeline, by username: what the page and the API show of a
    user there, read with the event instead of as a User."""

    username: str

    def __str__(self) -> str:
        return self.username

    @classmethod
    def named(cls, username: str | None) -> "Actor | None":
        return None if username is None else cls(username)


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened to a lead: what (`type`, one of TIMELINE_TYPES), when, by whom
    (None, an Actor, or for a lead submitted through the API its integration's User: both
    have a username and read as it)."""

    type: str
    at: datetime
    by: Any
    detail: dict


@dataclass(frozen=True)
class Timeline:
    """A lead's events, oldest first; `truncated` when older ones were left out."""

    events: list[TimelineEvent]
    truncated: bool


def lead_summary() -> LeadSummary:
    """Leads per status (pg_stats' estimate above EXACT_COUNT_LIMIT on PostgreSQL) and the first
    and last creation times, in one query: what the lead list shows above its rows.

    Unlike count_by_status (exact, one aggregate), each status is a bounded count or the
    planner's estimate: the list is drawn on every page view, at any size."""
    leads = Lead.objects.order_by()
    postgres = connections[leads.db].vendor == "postgresql"
    figures = {
        status: CountOf(leads.with_status(status), limit=EXACT_COUNT_LIMIT if postgres else None)
        for status in Lead.Status.values
    }
    if postgres:
        table = Lead._meta.db_table
        large = GreaterThan(table_rows_estimate(table), EXACT_COUNT_LIMIT)
        figures = {
            # A large table's statuses come from its statistics; the bounded count runs only
            # on a small table (or for a status too rare to be among the common values). An
            # unbounded COUNT here, even one never run, would cost the plan enough for JIT.
            status: Case(
                When(large, then=Coalesce(value_share_estimate(table, "status", status), bounded)),
                default=bounded,
            )
            for status, bounded in figures.items()
        }
        figures["table_rows"] = table_rows_estimate(table)
    row = leads.values(
        first_created_at=Subquery(leads.order_by("created_at").values("created_at")[:1]),
        last_created_at=Subquery(leads.order_by("-created_at").values("created_at")[:1]),
        **figures,
    )[:1]
    if not row:
        return LeadSummary(dict.fromkeys(Lead.Status.values, 0), False, None, None)
    (row,) = row
    counts = {status: row[status] for status in Lead.Status.values}
    return LeadSummary(
        counts=counts,
        is_estimate=postgres and max(row["table_rows"], *counts.values()) > EXACT_COUNT_LIMIT,
        first_created_at=row["first_created_at"],
        last_created_at=row["last_created_at"],
    )


def leads_per_week(leads: LeadQuerySet, weeks: int) -> list[tuple[date, int]]:
    """Leads created in each of the last `weeks` weeks (Monday first, local time, this
    week included), oldest first, empty weeks as 0; one query over lead_created_idx."""
    today = timezone.localdate()
    first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = (
        leads.filter(created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by("week")
    )
    counts = {timezone.localtime(row["week"]).date(): row["n"] for row in rows}
    return [(first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0)) for i in range(weeks)]


def median_seconds_to_reach_out(leads: LeadQuerySet) -> float | None:
    """Median seconds from submission to first reach-out of `leads`, None when nobody was reached."""
    reached = leads.filter(reached_out_at__isnull=False)
    return medians(reached, start="created_at", end="reached_out_at").get(None, (0, None))[1]


def lead_stats() -> dict:
    """Leads per status, the total, the median seconds to first reach-out and the PENDING leads
    older than 48 hours (reused for a while on a large table, see reused_when_large)."""
    return reused_when_large(STATS_CACHE_KEY, _compute_stats)


def _compute_stats() -> dict:
    """The stats in one pass over the table on PostgreSQL (the median elsewhere takes one more)."""
    leads = Lead.objects.all()
    figures = {
        **count_per_status(),
        "pending_older_than_48h": Count("pk", filter=is_pending_older_than(PENDING_TOO_LONG)),
    }
    postgres = connections[leads.db].vendor == "postgresql"
    if postgres:
        figures["median"] = Median(wait_seconds(), filter=Q(reached_out_at__isnull=False))
    row = leads.aggregate(**figures)
    counts = {status: row[status] for status in Lead.Status.values}
    median = row["median"] if postgres else median_seconds_to_reach_out(leads)
    return {
        **counts,
        "total": sum(counts.values()),
        "median_seconds_to_reach_out": None if median is None else float(median),
        "pending_older_than_48h": row["pending_older_than_48h"],
        "practice_areas": {row["slug"] or "none": row["n"] for row in leads_per_practice_area()},
    }


def funnel(*, weeks: int, pending_days: tuple[int, ...], newest: int) -> Funnel:
    """The intake dashboard's figures: leads per week over the last `weeks`, the median wait of
    the leads reached out in that time, how many are PENDING after each of `pending_days` (exact
    up to EXACT_COUNT_LIMIT), all reused for a while on a large table, and the `newest` PENDING
    leads; 5-10 queries (2 when reused)."""
    since = timezone.now() - timedelta(weeks=weeks)
    leads: LeadQuerySet = Lead.objects.all()

    def figures() -> tuple[list[tuple[date, int]], float | None, list[PendingAge]]:
        # reached_out_at >= since is served by the partial index lead_reached_out_idx.
        median = median_seconds_to_reach_out(leads.filter(reached_out_at__gte=since))
        pending = [
            PendingAge(days, *leads.pending_older_than(timedelta(days=days)).estimated_count())
            for days in pending_days
        ]
        return leads_per_week(leads, weeks), median, pending

    key = f"leads:funnel:{weeks}:{'-'.join(map(str, pending_days))}"
    per_week, median, pending = reused_when_large(key, figures)
    return Funnel(
        weeks=per_week,
        median_seconds=median,
        median_since=timezone.localtime(since).date(),
        pending=pending,
        newest_pending=list(leads.with_status(Lead.Status.PENDING).recent(newest)),
    )


def figures_per_attorney(*, since) -> list[AttorneyFigures]:
    """Per attorney (every active one, and anyone else with figures), by username: the
    leads assigned to them now and how many of those are PENDING, the leads they reached
    out to since `since` and the median wait from submission to that reach-out (reused for a
    while on a large table); 3 queries, 4 on PostgreSQL."""
    assigned = {
        row["assigned_to"]: row
        for row in Lead.objects.filter(assigned_to__isnull=False)
        .order_by()
        .values("assigned_to")
        .annotate(n=Count("pk"), pending=Count("pk", filter=Q(status=Lead.Status.PENDING)))
    }
    # The medians read every reach-out of the window (120 ms at 1,000,000 leads): reused for
    # a while on a large table, as the funnel's figures are; the assignments stay fresh.
    key = f"leads:attorney-waits:{since:%Y-%m-%d}"
    waits = reused_when_large(key, lambda: _waits_per_attorney(since))
    users = User.objects.filter(
        Q(pk__in=User.objects.attorneys().values("pk")) | Q(pk__in=[*assigned, *waits])
    )
    return [
        AttorneyFigures(
            attorney=user,
            assigned=assigned.get(user.pk, {}).get("n", 0),
            pending=assigned.get(user.pk, {}).get("pending", 0),
            reached_out=waits.get(user.pk, (0, None))[0],
            median_seconds=waits.get(user.pk, (0, None))[1],
        )
        for user in users.order_by("username")
    ]


def _waits_per_attorney(since) -> dict:
    """{user id: (leads reached out since `since`, median seconds from submission to it)}."""
    # reached_out_at >= since is served by the partial index lead_reached_out_idx.
    reached = Lead.objects.filter(reached_out_at__gte=since, reached_out_by__isnull=False)
    return medians(reached, start="created_at", end="reached_out_at", by="reached_out_by")


def reused_when_large(key: str, compute):
    """compute(), or on PostgreSQL above EXACT_COUNT_LIMIT leads its result of the last
    LEAD_STATS_CACHE_SECONDS: such figures read much of the table; small ones stay fresh.
    Kept in the shared cache, so every web process shows the same figures and one of
    them, not each, reads the table once a period."""
    if not _is_large():
        return compute()
    return caches["shared"].get_or_set(key, compute, settings.LEAD_STATS_CACHE_SECONDS)


def _is_large() -> bool:
    leads = Lead.objects.order_by()
    if connections[leads.db].vendor != "postgresql":
        return False
    row = leads.values(n=table_rows_estimate(Lead._meta.db_table))[:1]
    return bool(row) and row[0]["n"] > EXACT_COUNT_LIMIT


def timeline(lead: Lead, *, limit: int | None = TIMELINE_LIMIT) -> Timeline:
    """Everything that happened to `lead`, oldest first: its newest `limit` events (None:
    all of them), in one query whatever the history's length (see _timeline_rows)."""
    rows = _timeline_rows(lead, limit)
    rows.reverse()
    # Through the API: by the integration (a query only for such a lead).
    by = lead.submitted_by if lead.submitted_by_id else None
    submitted = TimelineEvent(
        "submitted", lead.created_at, by, {"source": lead.source, "referrer": lead.referrer}
    )
    events = [submitted, *map(_event, rows)]
    truncated = limit is not None and len(events) > limit
    return Timeline(events=events[-limit:] if truncated else events, truncated=truncated)


# The timeline's query as the ORM writes it, per (database, limit), and where the lead's id
# goes in its parameters.
_TIMELINE_QUERIES: dict[tuple[str, int | None], tuple[CompiledQuery, set[int]]] = {}


def _timeline_rows(lead: Lead, limit: int | None) -> list[tuple]:
    """The newest limit + 1 events of `lead` (all of them if `limit` is None) as _event's
    rows, newest first, in one query.

    Every kind of event is read as rows in one layout (_event_rows), merged by one UNION ALL;
    each kind gives only its newest limit + 1 (index <model>_lead_idx). Rows,
    with the users' names joined, not model instances: with 200 notes and their authors the
    instances were half the lead page's time. And the ORM writes that query once per process
    (and database and limit), not on every page: building it, or the one query per kind of
    event it replaces, cost more than reading its rows."""
    using = lead._state.db or DEFAULT_DB_ALIAS
    if (using, limit) not in _TIMELINE_QUERIES:
        _TIMELINE_QUERIES[using, limit] = _timeline_query(using, limit)
    query, lead_at = _TIMELINE_QUERIES[using, limit]
    lead_id = Lead._meta.pk.get_db_prep_value(lead.pk, connections[using])
    return query.rows(using, [lead_id if n in lead_at else param for n, param in enumerate(query.params)])


def _timeline_query(using: str, limit: int | None) -> tuple[CompiledQuery, set[int]]:
    """The timeline's query for a stand-in lead id (each kind's query as the ORM writes it, in
    one UNION ALL) and the places of that id among its parameters."""
    stand_in = uuid.uuid4()
    kinds = [
        _event_rows(0, Resubmission.objects.filter(lead=stand_in), texts=("source", "referrer")),
        _event_rows(
            1,
            StatusChange.objects.filter(lead=stand_in),
            at="changed_at",
            by="changed_by__username",
            texts=("from_status", "to_status", "reason", "referred_to"),
        ),
        _event_rows(
            2,
            AssignmentChange.objects.filter(lead=stand_in),
            at="changed_at",
            by="changed_by__username",
            texts=("from_user__username", "to_user__username"),
        ),
        _event_rows(3, Note.objects.filter(lead=stand_in), by="author__username", texts=("body",)),
        _event_rows(
            4,
            Delivery.objects.filter(lead=stand_in),
            texts=("kind", "channel", "recipient", "status", "last_error"),
            number="attempts",
            moment="sent_at",
        ),
        _event_rows(
            5,
            ResumeDownload.objects.filter(lead=stand_in),
            at="downloaded_at",
            by="downloaded_by__username",
            texts=("via",),
            ref="resubmission_id",
        ),
        _event_rows(6, LeadEvent.objects.filter(lead=stand_in), at="at", by="by__username", texts=("type",)),
    ]
    connection = connections[using]
    if limit is not None:
        # Each kind's newest limit + 1: enough to know the newest `limit` of them all and
        # whether there were more.
        kinds = [kind.order_by("-e_at", "-e_id")[: limit + 1] for kind in kinds]
    # Each kind as a subquery of its own, so that its ORDER BY and LIMIT stand on SQLite too
    # (which allows neither on a SELECT of a UNION itself, so Django's union() would drop them).
    compilers = [kind.query.get_compiler(using) for kind in kinds]
    parts, params = [], []
    for n, compiler in enumerate(compilers):
        sql, kind_params = compiler.as_sql()
        alias = connection.ops.quote_name(f"kind_{n}")
        parts.append(f"SELECT * FROM ({sql}) {alias}")  # noqa: S608 (the ORM's SQL; the id is a parameter)
        params += kind_params
    # Newest first; at the same time, the later kind and the smaller id first, so that read
    # backwards the page lists same-time events in the kinds' order above.
    at, kind, pk = map(connection.ops.quote_name, ("e_at", "e_kind", "e_id"))
    sql = f"{' UNION ALL '.join(parts)} ORDER BY {at} DESC, {kind} DESC, {pk} ASC"
    if limit is not None:
        sql += f" LIMIT {limit + 1:d}"
    stand_in_value = Lead._meta.pk.get_db_prep_value(stand_in, connection)
    lead_at = {n for n, param in enumerate(params) if param == stand_in_value}
    if len(lead_at) != len(kinds):
        raise RuntimeError(
            f"The timeline's query takes the lead's id {len(lead_at)} times, not {len(kinds)}."
        )
    return CompiledQuery(sql, tuple(params), selected_columns(kinds[0].query, using)), lead_at


_EVENT_TEXTS = ("e_t1", "e_t2", "e_t3", "e_t4", "e_t5")


def _null(field) -> Cast:
    """A NULL of `field`'s type: PostgreSQL reads an untyped NULL in a kind's subquery as
    text, which a UNION cannot match with another kind's number or time."""
    return Cast(Value(None), output_field=field)


def _event_rows(
    kind: int, related, *, at="created_at", by=None, texts=(), number=None, moment=None, ref=None
):
    """One kind of a lead's events as rows of (id, time, username, five texts, a number, a
    time, an id, `kind`): a column the kind has no use for is NULL. `kind` is the kind's
    number in _event, and its place in the timeline's order of same-time events."""
    columns = {
        "e_id": F("id"),
        "e_at": F(at),
        "e_by": F(by) if by else _null(CharField()),
        **{name: F(text) if text else _null(TextField()) for name, text in zip_longest(_EVENT_TEXTS, texts)},
        "e_n": F(number) if number else _null(IntegerField()),
        "e_ts": F(moment) if moment else _null(DateTimeField()),
        "e_ref": F(ref) if ref else _null(UUIDField()),
        "e_kind": Value(kind),
    }
    return related.order_by().annotate(**columns).values_list(*columns)


def _event(row: tuple) -> TimelineEvent:
    """The event of one of timeline()'s rows; `kind` is the place of its kind there."""
    pk, at, by, t1, t2, t3, t4, t5, number, moment, ref, kind = row
    by = Actor.named(by)
    if kind == 0:
        return TimelineEvent("resubmitted", at, None, {"resubmission": pk, "source": t1, "referrer": t2})
    if kind == 1:
        detail = {"from": t1, "to": t2}
        if t3 or t4:  # a closing's why and to whom
            detail |= {"reason": t3, "referred_to": t4}
        return TimelineEvent("status_changed", at, by, detail)
    if kind == 2:
        return TimelineEvent("assigned", at, by, {"from": t1, "to": t2})
    if kind == 3:
        return TimelineEvent("note", at, by, {"id": pk, "body": t1})
    if kind == 4:
        detail = {
            "id": pk,
            "kind": t1,
            "description": str(DELIVERY_KINDS.get(t1, t1)),  # what get_kind_display() says
            "channel": t2,
            "recipient": t3,
            "status": t4,
            "attempts": number,
            "error": t5,
            "sent_at": moment,
        }
        return TimelineEvent("delivery", at, None, detail)
    if kind == 5:
        return TimelineEvent("resume_downloaded", at, by, {"resubmission": ref, "via": t1})
    return TimelineEvent(t1, at, by, {})  # a LeadEvent: trashed, restored, exported


DELIVERY_KINDS = dict(Delivery.Kind.choices)


# --- Speed to lead (issue 29) ---------------------------------------------------------------

# The dashboard's "last month": the leads submitted in these last days.
WITHIN_TARGET_DAYS = 30


@dataclass(frozen=True)
class ResponseDue:
    """What the lead page says of a pending lead's response: due by `due_at`, or late by `late_seconds`."""

    due_at: datetime
    late_seconds: float | None  # None: not late yet


def response_due(lead: Lead, now: datetime | None = None) -> ResponseDue | None:
    """The lead's response deadline while it is PENDING with one (None otherwise)."""
    if lead.status != Lead.Status.PENDING or lead.response_due_at is None:
        return None
    now = now or timezone.now()
    late = (now - lead.response_due_at).total_seconds()
    return ResponseDue(due_at=lead.response_due_at, late_seconds=late if late > 0 else None)


@dataclass(frozen=True)
class WithinTarget:
    attorney: User | None  # None: the leads nobody was assigned
    leads: int  # submitted in the window with a target
    in_time: int  # of them, reached out by their due time

    @property
    def percent(self) -> int | None:
        return round(100 * self.in_time / self.leads) if self.leads else None


def within_target_per_attorney(now: datetime | None = None) -> list[WithinTarget]:
    """Per assignee (unassigned last), the leads submitted in the last WITHIN_TARGET_DAYS
    that had a target, and how many were reached out by their response_due_at: one grouped
    read over lead_created_idx's window (reused for a while on a large table)."""
    since = (now or timezone.now()) - timedelta(days=WITHIN_TARGET_DAYS)

    def compute() -> list[tuple]:
        rows = (
            Lead.objects.filter(created_at__gte=since, response_due_at__isnull=False)
            .order_by()
            .values("assigned_to")
            .annotate(
                n=Count("pk"),
                in_time=Count("pk", filter=Q(reached_out_at__lte=F("response_due_at"))),
            )
        )
        return [(row["assigned_to"], row["n"], row["in_time"]) for row in rows]

    rows = reused_when_large(f"leads:within-target:{since:%Y-%m-%d}", compute)
    users = User.objects.in_bulk([pk for pk, _, _ in rows if pk is not None])
    figures = [WithinTarget(users.get(pk), n, in_time) for pk, n, in_time in rows if pk in users]
    figures.sort(key=lambda row: row.attorney.username)
    figures += [WithinTarget(None, n, in_time) for pk, n, in_time in rows if pk is None]
    return figures


def open_leads_of(user: User | None, *, limit: int, now: datetime | None = None) -> tuple[list, int, int]:
    """An attorney's open leads for their digest: up to `limit` of (lead, is overdue),
    overdue first (oldest due first), then the rest newest first; how many are open; how
    many of them are overdue. Three reads over lead_assigned_idx."""
    if user is None:
        return [], 0, 0
    now = now or timezone.now()
    mine = Lead.objects.for_lists().filter(
        assigned_to=user, status__in=[Lead.Status.PENDING, Lead.Status.REACHED_OUT]
    )
    late = mine.overdue(now)
    counts = mine.aggregate(
        n=Count("pk"), late=Count("pk", filter=Q(status=Lead.Status.PENDING, response_due_at__lt=now))
    )
    listed = [(lead, True) for lead in late.order_by("response_due_at", "id")[:limit]]
    if len(listed) < limit:
        rest = mine.exclude(pk__in=late.values("pk")).newest_first()[: limit - len(listed)]
        listed += [(lead, False) for lead in rest]
    return listed, counts["n"], counts["late"]


# The conversion report's groupings: the query parameter `by` -> the lead's column (a practice
# area by its slug).
CONVERSION_GROUPS = {
    "source": "source",
    "assigned_to": "assigned_to__username",
    "practice_area": "practice_area__slug",
}


@dataclass(frozen=True)
class ConversionRow:
    """One group's funnel in the conversion report."""

    key: str | None
    leads: int
    open: int
    reached_out: int
    retained: int
    declined: int
    referred: int
    no_response: int
    conversion_rate: float | None
    median_seconds_to_reach_out: float | None
    median_seconds_to_close: float | None


def conversion(*, by: str, created_after=None, created_before=None) -> list[ConversionRow]:
    """Per `by` (source, practice_area, assigned_to), over the kept leads created in the
    window: how many, open, reached out, each outcome, retained ÷ closed (None before any
    closed) and the median seconds to first reach-out and to closing; biggest group first.

    Exact and current counts at any size, from the rollup's folded days and a live read of
    the rest (leads.rollup): about six queries whatever the table's size. A median is exact
    when the window's leads are all read live, else within 1.1% of (1 + the exact one)."""
    tallies = rollup.by_name(by, rollup.conversion_tallies(by, created_after, created_before))
    rows = []
    for key, tally in tallies.items():
        counts = dict(zip(rollup.COUNTS, tally.counts, strict=True))
        closed = sum(counts[status.lower()] for status in CLOSED_STATUSES)
        rows.append(
            ConversionRow(
                key=key,
                **counts,
                conversion_rate=conversion_rate(counts["retained"], closed),
                median_seconds_to_reach_out=tally.median_to_reach_out(),
                median_seconds_to_close=tally.median_to_close(),
            )
        )
    rows.sort(key=lambda row: (-row.leads, str(row.key)))
    return rows


def _conversion(by: str, created_after, created_before) -> list[ConversionRow]:
    """The report read afresh from every lead of the window (what it was before the rollup;
    kept for the tests and bench/conversion.py to compare against)."""
    leads = Lead.objects.order_by()
    if created_after is not None:
        leads = leads.filter(created_at__gte=created_after)
    if created_before is not None:
        leads = leads.filter(created_at__lt=created_before)
    column = CONVERSION_GROUPS[by]
    statuses = {status.lower(): Count("pk", filter=Q(status=status)) for status in CLOSED_STATUSES}
    figures = {
        "leads": Count("pk"),
        "open": Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        "reached_out": Count("pk", filter=Q(reached_out_at__isnull=False)),
        **statuses,
    }
    postgres = connections[leads.db].vendor == "postgresql"
    if postgres:
        figures["to_reach_out"] = Median(wait_seconds(), filter=Q(reached_out_at__isnull=False))
        figures["to_close"] = Median(
            Extract(F("closed_at") - F("created_at"), "epoch"), filter=Q(closed_at__isnull=False)
        )
    grouped = leads.values(key=F(column))
    rows = list(grouped.annotate(**figures))
    if not postgres:
        reached = medians(
            leads.filter(reached_out_at__isnull=False), start="created_at", end="reached_out_at", by=column
        )
        closed = medians(
            leads.filter(closed_at__isnull=False), start="created_at", end="closed_at", by=column
        )
        for row in rows:
            row["to_reach_out"] = reached.get(row["key"], (0, None))[1]
            row["to_close"] = closed.get(row["key"], (0, None))[1]
    rows.sort(key=lambda row: (-row["leads"], str(row["key"])))
    return [
        ConversionRow(
            key=row["key"],
            leads=row["leads"],
            open=row["open"],
            reached_out=row["reached_out"],
            **{status: row[status] for status in statuses},
            conversion_rate=conversion_rate(row["retained"], sum(row[status] for status in statuses)),
            median_seconds_to_reach_out=_seconds(row["to_reach_out"]),
            median_seconds_to_close=_seconds(row["to_close"]),
        )
        for row in rows
    ]


def conversion_rate(retained: int, closed: int) -> float | None:
    """Retained ÷ closed, rounded to 4 places; None when none closed."""
    return round(retained / closed, 4) if closed else None


def _seconds(value) -> float | None:
    return None if value is None else float(value)


def prospect_copy(lead: Lead) -> dict:
    """Everything held about the prospect of `lead`, as JSON-ready data: the lead with its
    practice area and answers, resubmissions with theirs, status changes, assignment changes, notes,
    the deliveries' kinds, times and statuses, and its other events (the prospect's copy,
    export_prospect). File names are the archive's, not the storage's."""

    def moment(value) -> str | None:
        return value.isoformat() if value else None

    def username(user) -> str | None:
        return user.username if user else None

    resubmissions = list(lead.resubmissions.order_by("created_at", "id"))
    return {
        "lead": {
            "id": str(lead.pk),
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "email": lead.email,
            "former_emails": list(lead.former_emails),
            "status": lead.status,
            "created_at": moment(lead.created_at),
            "updated_at": moment(lead.updated_at),
            "reached_out_at": moment(lead.reached_out_at),
            "source": lead.source,
            "referrer": lead.referrer,
            "assigned_to": username(lead.assigned_to),
            "closed_at": moment(lead.closed_at),
            "outcome_reason": lead.outcome_reason,
            "referred_to": lead.referred_to,
            "practice_area": lead.practice_area.slug if lead.practice_area_id else None,
            "answers": answers_as_asked(lead.answers.filter(resubmission__isnull=True)),
            "in_trash_since": moment(lead.deleted_at),
            "resume_file": prospect_file_name(lead.resume.name, "resume"),
        },
        "resubmissions": [
            {
                "created_at": moment(r.created_at),
                "source": r.source,
                "referrer": r.referrer,
                "resume_file": prospect_file_name(r.resume.name, f"resubmission-{n}"),
                "answers": answers_as_asked(r.answers.all()),
            }
            for n, r in enumerate(resubmissions, start=1)
        ],
        "status_changes": [
            {
                "at": moment(c.changed_at),
                "from": c.from_status,
                "to": c.to_status,
                "by": username(c.changed_by),
                "reason": c.reason,
                "referred_to": c.referred_to,
            }
            for c in lead.status_changes.select_related("changed_by").order_by("changed_at", "id")
        ],
        "assignment_changes": [
            {"at": moment(a.changed_at), "from": username(a.from_user), "to": username(a.to_user)}
            for a in lead.assignment_changes.select_related("from_user", "to_user").order_by(
                "changed_at", "id"
            )
        ],
        "notes": [
            {"at": moment(n.created_at), "author": username(n.author), "body": n.body}
            for n in lead.notes.select_related("author").order_by("created_at", "id")
        ],
        "deliveries": [
            {
                "kind": d.kind,
                "channel": d.channel,
                "status": d.status,
                "created_at": moment(d.created_at),
                "sent_at": moment(d.sent_at),
            }
            for d in lead.deliveries.order_by("created_at", "id")
        ],
        "events": [{"type": e.type, "at": moment(e.at)} for e in lead.events.order_by("at", "id")],
    }


def answers_as_asked(answers) -> list[dict]:
    """Answers as the prospect gave them: each question's key, the label it was asked under
    and the value kept."""
    return [
        {"key": answer.key, "label": answer.label, "value": answer.value}
        for answer in answers.order_by("position", "id")
    ]


def prospect_file_name(stored: str, stem: str) -> str | None:
    """A stored resume's name in the prospect's copy: `stem` with the stored extension."""
    if not stored:
        return None
    suffix = stored.rsplit(".", 1)[-1] if "." in stored.rsplit("/", 1)[-1] else "bin"
    return f"{stem}.{suffix}"


def answers_of(lead: Lead) -> dict | None:
    """The lead page's answers (one query, two when there are some): its own, then each
    resubmission's with its practice area; None when it has none at all."""
    answers = list(
        Answer.objects.filter(lead=lead)
        .select_related("question")
        .order_by("resubmission__created_at", "position", "id")
    )
    if not answers and lead.practice_area_id is None:
        return None
    resubmissions = {}
    ids = {answer.resubmission_id for answer in answers if answer.resubmission_id}
    for resubmission in Resubmission.objects.filter(pk__in=ids).select_related("practice_area"):
        resubmissions[resubmission.pk] = {"resubmission": resubmission, "answers": []}
    first = []
    for answer in answers:
        answer.display = answer.for_people()
        if answer.resubmission_id:
            resubmissions[answer.resubmission_id]["answers"].append(answer)
        else:
            first.append(answer)
    return {
        "practice_area": lead.practice_area,
        "first": first,
        "resubmissions": list(resubmissions.values()),
    }


def intake_form() -> dict:
    """The active practice areas, each with its active questions, and the active questions
    asked of everyone, in the form's order (two queries)."""
    areas = list(PracticeArea.objects.active())
    questions = (
        Question.objects.filter(is_active=True)
        .filter(Q(practice_area__isnull=True) | Q(practice_area__is_active=True))
        .select_related("show_if_question")
        .order_by("position", "id")
    )
    by_area = {}
    for question in questions:
        by_area.setdefault(question.practice_area_id, []).append(question)
    for area in areas:
        area.questions_asked = by_area.get(area.pk, [])
    return {
        "questions": by_area.get(None, []),
        "practice_areas": [
            {
                "slug": a.slug,
                "name": translated(a, "name"),
                "description": translated(a, "description"),
                "questions": a.questions_asked,
            }
            for a in areas
        ],
    }


def leads_per_practice_area() -> list[dict]:
    """Leads per practice area (slug None: without one), with how many are PENDING, most
    first; one GROUP BY over lead_practice_area_idx (the stats reuse it on a large table)."""
    rows = (
        Lead.objects.order_by()
        .values(slug=F("practice_area__slug"), name=F("practice_area__name"))
        .annotate(n=Count("pk"), pending=Count("pk", filter=Q(status=Lead.Status.PENDING)))
    )
    return sorted(rows, key=lambda row: (-row["n"], row["slug"] or "~"))


def practice_area_figures() -> list[dict]:
    """The dashboard's leads per practice area (reused for a while on a large table)."""
    return reused_when_large("leads:per-practice-area", leads_per_practice_area)
