import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connections, models, transaction
from django.db.models import Case, Count, F, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Extract, Lower, TruncWeek
from django.db.models.lookups import Exact, GreaterThan
from django.utils import timezone

from .expressions import CountOf, Median, table_rows_estimate, value_share_estimate
from .validators import validate_plain_text

RESUME_EXTENSIONS = {".pdf", ".doc", ".docx"}
# Counts are exact up to this many rows; above it, on PostgreSQL, the planner's estimate.
EXACT_COUNT_LIMIT = 10_000
# The alias under which page_with_count() hands each row of a page the count of the whole list.
PAGE_COUNT = "list_count"
STATS_CACHE_KEY = "leads:stats"
PENDING_TOO_LONG = timedelta(hours=48)


def resume_upload_to(instance: "Lead", filename: str) -> str:
    """A random name under resumes/; only a known extension survives from `filename`."""
    suffix = Path(filename).suffix.lower()
    return f"resumes/{uuid.uuid4().hex}{suffix if suffix in RESUME_EXTENSIONS else ''}"


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
    """The intake dashboard's figures (leads.dashboard draws them)."""

    weeks: list[tuple[date, int]]
    median_seconds: float | None
    median_since: date
    pending: list[PendingAge]
    newest_pending: list["Lead"]


def _per_status() -> dict[str, Count]:
    """One COUNT per status, for an aggregate."""
    return {status: Count("pk", filter=Q(status=status)) for status in Lead.Status.values}


def _is_pending_older_than(age: timedelta) -> Q:
    return Q(status=Lead.Status.PENDING, created_at__lt=timezone.now() - age)


def _wait_seconds() -> Extract:
    """Seconds from submission to first reach-out."""
    return Extract(F("reached_out_at") - F("created_at"), "epoch")


class LeadQuerySet(models.QuerySet):
    """The lead repository: every named read and every status transition."""

    def by_email(self, email: str) -> "Lead | None":
        """The lead with this email in any letter case, or None."""
        # lower(email) = lower(%s) is served by the unique index lead_email_ci_unique;
        # email__iexact would compile to UPPER(…) and scan the table on PostgreSQL. Both
        # sides are lowered by the database, as the index is: Python's str.lower() differs
        # from SQLite's ASCII-only lower() for "jane@Éxample.com", and a duplicate that
        # this check misses would reach the constraint as an unexplained IntegrityError.
        return (
            self.alias(email_lower=Lower("email"))
            .filter(email_lower=Lower(Value(email.strip(), output_field=models.CharField())))
            .first()
        )

    def with_status(self, status: str) -> "LeadQuerySet":
        """Leads in this status."""
        return self.filter(status=status)

    def search(self, query: str) -> "LeadQuerySet":
        """Leads whose first name, last name or email contains `query`, any letter case."""
        query = query.strip()
        if not query:
            return self
        return self.filter(
            Q(first_name__icontains=query) | Q(last_name__icontains=query) | Q(email__icontains=query)
        )

    def newest_first(self) -> "LeadQuerySet":
        """Newest first, id as tiebreaker so pages are stable (index lead_created_idx)."""
        return self.order_by("-created_at", "-id")

    def recent(self, n: int = 10) -> "LeadQuerySet":
        """The n newest leads."""
        return self.newest_first()[:n]

    def count_by_status(self) -> dict[str, int]:
        """Leads per status, every status present (zeros included), in one query."""
        counts = self.aggregate(**_per_status())
        return {status: counts[status] or 0 for status in Lead.Status.values}

    def estimated_count(self) -> tuple[int, bool]:
        """(count, is_estimate): exact up to EXACT_COUNT_LIMIT, the planner's estimate above it on
        PostgreSQL; one query, two when a filter other than status passes the limit."""
        leads = self.model._default_manager.using(self.db).order_by()
        row = leads.values(n=self._count_expression())[:1]
        # One row of the table carries the count; no row at all means no leads.
        return self._settle_count(row[0]["n"], seen=0) if row else (0, False)

    def page_with_count(self, start: int, stop: int) -> tuple[list["Lead"], int, bool]:
        """Rows [start:stop] and estimated_count() in one query, each row carrying the count as a
        scalar subquery; a second query when the page is empty (nothing to carry it)."""
        rows = list(self.annotate(**{PAGE_COUNT: self._count_expression()})[start:stop])
        if not rows:
            return rows, *self.estimated_count()
        return rows, *self._settle_count(getattr(rows[0], PAGE_COUNT), seen=start + len(rows))

    def _count_expression(self) -> models.Expression:
        """estimated_count() as one scalar subquery (leads.expressions): the table's reltuples when
        unfiltered, pg_stats' share for a status filter, else a bounded count."""
        if connections[self.db].vendor != "postgresql":
            return CountOf(self)
        table = self.model._meta.db_table
        if not self.query.where:
            rows = table_rows_estimate(table)
            # A large table is never counted: the bounded count runs only when reltuples is small.
            bounded = CountOf(self, limit=EXACT_COUNT_LIMIT)
            return Case(When(GreaterThan(rows, EXACT_COUNT_LIMIT), then=rows), default=bounded)
        status = self._filtered_status()
        estimate = None if status is None else value_share_estimate(table, "status", status)
        return CountOf(self, limit=EXACT_COUNT_LIMIT, estimate=estimate)

    def _filtered_status(self) -> str | None:
        """The status kept when that is this queryset's one filter (the lists' status filter)."""
        where = self.query.where
        if where.negated or len(where.children) != 1:
            return None
        (lookup,) = where.children
        status_field = self.model._meta.get_field("status")
        if isinstance(lookup, Exact) and getattr(lookup.lhs, "target", None) is status_field:
            return lookup.rhs if isinstance(lookup.rhs, str) else None
        return None

    def _settle_count(self, counted: int, *, seen: int) -> tuple[int, bool]:
        """(count, is_estimate) from the count expression's value, never below the rows seen. A
        bounded count that stopped at the limit with no statistic to go by takes EXPLAIN's guess."""
        count = max(counted, seen)
        if connections[self.db].vendor != "postgresql" or count <= EXACT_COUNT_LIMIT:
            return count, False
        if count == EXACT_COUNT_LIMIT + 1:
            plan = json.loads(self.order_by().explain(format="json"))
            count = max(int(plan[0]["Plan"]["Plan Rows"]), count)
        return count, True

    def created_before(self, moment) -> "LeadQuerySet":
        """Leads submitted before `moment` (index lead_created_idx)."""
        return self.filter(created_at__lt=moment)

    def pending_older_than(self, age: timedelta) -> "LeadQuerySet":
        """PENDING leads submitted more than `age` ago (index lead_status_created_idx)."""
        return self.filter(_is_pending_older_than(age))

    def count_per_week(self, weeks: int) -> list[tuple[date, int]]:
        """Leads created in each of the last `weeks` weeks (Monday first, local time, this
        week included), oldest first, empty weeks as 0; one query over lead_created_idx."""
        today = timezone.localdate()
        first = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
        since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
        rows = (
            self.filter(created_at__gte=since)
            .annotate(week=TruncWeek("created_at"))
            .values("week")
            .annotate(n=Count("pk"))
            .order_by("week")
        )
        counts = {timezone.localtime(row["week"]).date(): row["n"] for row in rows}
        return [(first + timedelta(weeks=i), counts.get(first + timedelta(weeks=i), 0)) for i in range(weeks)]

    def median_seconds_to_reach_out(self) -> float | None:
        """Median seconds from submission to first reach-out, None when nobody was reached."""
        reached = self.filter(reached_out_at__isnull=False)
        if connections[self.db].vendor == "postgresql":
            seconds = reached.aggregate(median=Median(_wait_seconds()))["median"]
            return None if seconds is None else float(seconds)
        # Elsewhere: the middle one or two durations, in two queries.
        total = reached.count()
        if total == 0:
            return None
        middle = (
            reached.annotate(waited=F("reached_out_at") - F("created_at"))
            .order_by("waited")
            .values_list("waited", flat=True)[(total - 1) // 2 : total // 2 + 1]
        )
        waits = [w.total_seconds() for w in middle]
        return sum(waits) / len(waits)

    def mark_all_reached_out(self, *, by) -> int:
        """PENDING -> REACHED_OUT for this queryset, one StatusChange row each; O(1) queries.

        Returns how many leads changed. The first reach-out's time and attorney are kept.
        """
        return self._move_all(from_status=Lead.Status.PENDING, to_status=Lead.Status.REACHED_OUT, by=by)

    def mark_all_pending(self, *, by) -> int:
        """REACHED_OUT -> PENDING (reopen), one StatusChange row each; O(1) queries."""
        return self._move_all(from_status=Lead.Status.REACHED_OUT, to_status=Lead.Status.PENDING, by=by)

    def _move_all(self, *, from_status: str, to_status: str, by) -> int:
        with transaction.atomic():
            # Lock the rows still in from_status: of two attorneys racing, the second waits,
            # then PostgreSQL re-checks the status and hands it nothing to change.
            ids = list(
                self.model.objects.filter(pk__in=self.values("pk"), status=from_status)
                .select_for_update()
                .values_list("pk", flat=True)
            )
            if not ids:
                return 0
            now = timezone.now()
            changes = {"status": to_status, "updated_at": now}
            if to_status == Lead.Status.REACHED_OUT:
                changes["reached_out_at"] = Coalesce("reached_out_at", now)
                changes["reached_out_by"] = Coalesce("reached_out_by", by.pk if by else None)
            changed = self.model.objects.filter(pk__in=ids, status=from_status).update(**changes)
            StatusChange.objects.bulk_create(
                StatusChange(
                    lead_id=pk, from_status=from_status, to_status=to_status, changed_by=by, changed_at=now
                )
                for pk in ids
            )
            return changed


class LeadManager(models.Manager.from_queryset(LeadQuerySet)):
    def summary(self) -> LeadSummary:
        """Leads per status (pg_stats' estimate above EXACT_COUNT_LIMIT on PostgreSQL) and the first
        and last creation times, in one query: what the lead list shows above its rows."""
        leads = self.get_queryset().order_by()
        postgres = connections[self.db].vendor == "postgresql"
        figures = {
            status: CountOf(leads.with_status(status), limit=EXACT_COUNT_LIMIT if postgres else None)
            for status in Lead.Status.values
        }
        if postgres:
            table = self.model._meta.db_table
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

    def stats(self) -> dict:
        """Leads per status, the total, the median seconds to first reach-out and the PENDING leads
        older than 48 hours (reused for a while on a large table, see _reused_when_large)."""
        return self._reused_when_large(STATS_CACHE_KEY, self._compute_stats)

    def _reused_when_large(self, key: str, compute):
        """compute(), or on PostgreSQL above EXACT_COUNT_LIMIT leads its result of the last
        LEAD_STATS_CACHE_SECONDS: such figures read much of the table; small ones stay fresh."""
        if not self._is_large():
            return compute()
        return cache.get_or_set(key, compute, settings.LEAD_STATS_CACHE_SECONDS)

    def _is_large(self) -> bool:
        if connections[self.db].vendor != "postgresql":
            return False
        row = self.get_queryset().order_by().values(n=table_rows_estimate(self.model._meta.db_table))[:1]
        return bool(row) and row[0]["n"] > EXACT_COUNT_LIMIT

    def _compute_stats(self) -> dict:
        """The stats in one pass over the table on PostgreSQL (the median elsewhere takes two more)."""
        leads = self.get_queryset()
        figures = {
            **_per_status(),
            "pending_older_than_48h": Count("pk", filter=_is_pending_older_than(PENDING_TOO_LONG)),
        }
        postgres = connections[self.db].vendor == "postgresql"
        if postgres:
            figures["median"] = Median(_wait_seconds(), filter=Q(reached_out_at__isnull=False))
        row = leads.aggregate(**figures)
        counts = {status: row[status] for status in Lead.Status.values}
        median = row["median"] if postgres else leads.median_seconds_to_reach_out()
        return {
            **counts,
            "total": sum(counts.values()),
            "median_seconds_to_reach_out": None if median is None else float(median),
            "pending_older_than_48h": row["pending_older_than_48h"],
        }

    def funnel(self, *, weeks: int, pending_days: tuple[int, ...], newest: int) -> Funnel:
        """The intake dashboard's figures: leads per week over the last `weeks`, the median wait of
        the leads reached out in that time, how many are PENDING after each of `pending_days` (exact
        up to EXACT_COUNT_LIMIT), all reused for a while on a large table, and the `newest` PENDING
        leads; 5-10 queries (2 when reused)."""
        since = timezone.now() - timedelta(weeks=weeks)

        def figures() -> tuple[list[tuple[date, int]], float | None, list[PendingAge]]:
            # reached_out_at >= since is served by the partial index lead_reached_out_idx.
            median = self.filter(reached_out_at__gte=since).median_seconds_to_reach_out()
            pending = [
                PendingAge(days, *self.pending_older_than(timedelta(days=days)).estimated_count())
                for days in pending_days
            ]
            return self.count_per_week(weeks), median, pending

        key = f"leads:funnel:{weeks}:{'-'.join(map(str, pending_days))}"
        per_week, median, pending = self._reused_when_large(key, figures)
        return Funnel(
            weeks=per_week,
            median_seconds=median,
            median_since=timezone.localtime(since).date(),
            pending=pending,
            newest_pending=list(self.with_status(Lead.Status.PENDING).recent(newest)),
        )

    def mark_reached_out(self, lead: "Lead", *, by) -> "Lead":
        """Reach out to one lead (idempotent); refreshes `lead` from the row."""
        self.filter(pk=lead.pk).mark_all_reached_out(by=by)
        lead.refresh_from_db(fields=["status", "reached_out_at", "reached_out_by", "updated_at"])
        return lead

    def mark_pending(self, lead: "Lead", *, by) -> "Lead":
        """Put one lead back to PENDING (idempotent); its first reach-out stays recorded."""
        self.filter(pk=lead.pk).mark_all_pending(by=by)
        lead.refresh_from_db(fields=["status", "updated_at"])
        return lead


class Lead(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        REACHED_OUT = "REACHED_OUT", "Reached out"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_name = models.CharField(max_length=100, validators=[validate_plain_text])
    last_name = models.CharField(max_length=100, validators=[validate_plain_text])
    email = models.EmailField(max_length=255)
    resume = models.FileField(upload_to=resume_upload_to, max_length=255)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    reached_out_at = models.DateTimeField(null=True, blank=True, editable=False)
    reached_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    source = models.CharField(max_length=100, blank=True, default="")
    referrer = models.CharField(max_length=500, blank=True, default="")

    objects = LeadManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="lead_email_ci_unique",
                violation_error_message="A lead with this email already exists.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "REACHED_OUT"]), name="lead_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="lead_status_idx"),
            # Newest-first lists, filtered by status or not (scanned backwards for DESC).
            models.Index(fields=["created_at", "id"], name="lead_created_idx"),
            models.Index(fields=["status", "created_at", "id"], name="lead_status_created_idx"),
            # The API's ordering=last_name / -last_name (ties by creation time, same direction).
            models.Index(fields=["last_name", "created_at", "id"], name="lead_last_name_idx"),
            # The dashboard's median over leads reached out in the last quarter.
            models.Index(
                fields=["reached_out_at"],
                name="lead_reached_out_idx",
                condition=Q(reached_out_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_reached_out(self) -> bool:
        return self.status == self.Status.REACHED_OUT


class StatusChange(models.Model):
    """One status change of a lead: who moved it, when, from what, to what."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Lead.Status.choices)
    to_status = models.CharField(max_length=20, choices=Lead.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [models.Index(fields=["lead", "changed_at"], name="statuschange_lead_idx")]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"
