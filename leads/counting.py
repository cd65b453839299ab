"""Counting that stays cheap at a million rows, for every list (leads, deliveries, webhook
subscriptions; the admin's and the API's alike): counts exact up to EXACT_COUNT_LIMIT and the
planner's estimate above it, the one paginator whose page and count come from one query, and
the SQL building blocks of both (and PostgreSQL's median).

An exact COUNT(*) of most of a large table costs 100-800 ms at a million leads (PostgreSQL
reads every matching row, a parallel sequential scan, as measured on a 2-core machine), so
the reads count exactly up to a bound and ask the planner's statistics above it. Each piece
is a scalar subquery, so a page query can carry its own count in the same statement.
"""

import hashlib
import json
import math
import statistics
from collections import defaultdict

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Case, Count, F, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Extract
from django.db.models.lookups import Exact, GreaterThan, In, IsNull
from django.utils.functional import cached_property

# Counts are exact up to this many rows; above it, on PostgreSQL, the planner's estimate.
EXACT_COUNT_LIMIT = 10_000


# The alias under which page_with_count() hands each row of a page the count of the whole list.
PAGE_COUNT = "list_count"


# How long a filter found to match more than EXACT_COUNT_LIMIT rows goes uncounted (its estimate
# remembered).
OVER_LIMIT_SECONDS = 300


class CountingQuerySet(models.QuerySet):
    """Counting that stays cheap at a million rows, for every list the one paginator serves
    (leads, deliveries, webhook endpoints): exact up to EXACT_COUNT_LIMIT, estimated above."""

    def estimated_count(self) -> tuple[int, bool]:
        """(count, is_estimate): exact up to EXACT_COUNT_LIMIT, the planner's estimate above it on
        PostgreSQL; one query, two when a filter other than status passes the limit."""
        if self.query.is_empty():  # .none(): nothing to count, and no SQL to count it with
            return 0, False
        over_limit = self._over_limit_key()
        if over_limit is not None and (remembered := cache.get(over_limit)):
            return self._settle_count(remembered, seen=0)
        rows = self.model._default_manager.using(self.db).order_by()
        row = rows.values(n=self._count_expression())[:1]
        # One row of the table carries the count; no row at all means an empty table.
        return self._settle_count(row[0]["n"], seen=0, over_limit=over_limit) if row else (0, False)

    def page_with_count(self, start: int, stop: int) -> tuple[list, int, bool]:
        """Rows [start:stop] and estimated_count() in one query, each row carrying the count as a
        scalar subquery. A short page is its own count (exact, whatever the statistics say); an
        empty page past the first takes a second query (no row to carry the count)."""
        if self.query.is_empty():  # .none(): no page, and no SQL to ask for one
            return [], 0, False
        over_limit = self._over_limit_key()
        if over_limit is not None and (remembered := cache.get(over_limit)):
            rows, counted, over_limit = list(self[start:stop]), remembered, None
        else:
            rows = list(self.annotate(**{PAGE_COUNT: self._count_expression()})[start:stop])
            counted = getattr(rows[0], PAGE_COUNT) if rows else 0
        if len(rows) < stop - start and (rows or not start):
            return rows, start + len(rows), False  # the list ends on this page
        if not rows:
            return rows, *self.estimated_count()
        return rows, *self._settle_count(counted, seen=start + len(rows), over_limit=over_limit)

    def _over_limit_key(self) -> str | None:
        """Where the count is a bounded count of matching rows (a filter, not the table's or a
        status's statistics: see _count_expression), the cache key under which a count that
        passed EXACT_COUNT_LIMIT is remembered for OVER_LIMIT_SECONDS. Its next counts skip
        reading the limit's worth of matching rows and asking EXPLAIN, and show the planner's
        estimate remembered, which is what they would show anyway; only an estimate is kept,
        never a count shown as exact."""
        if connections[self.db].vendor != "postgresql" or not self._filters():
            return None
        if self._filtered_status() is not None or self._filtered_statuses() is not None:
            return None
        sql, params = self.order_by().query.sql_with_params()
        digest = hashlib.sha256(repr((self.db, sql, params)).encode()).hexdigest()
        return f"leads:over-limit-estimate:{digest}"

    def _count_expression(self) -> models.Expression:
        """estimated_count() as one scalar subquery (leads.expressions): the table's reltuples when
        unfiltered, pg_stats' share for a status filter, else a bounded count."""
        if connections[self.db].vendor != "postgresql":
            return CountOf(self)
        table = self.model._meta.db_table
        if not self._filters():
            rows = table_rows_estimate(table)
            # A large table is never counted: the bounded count runs only when reltuples is small.
            bounded = CountOf(self, limit=EXACT_COUNT_LIMIT)
            return Case(When(GreaterThan(rows, EXACT_COUNT_LIMIT), then=rows), default=bounded)
        status = self._filtered_status()
        estimate = None if status is None else value_share_estimate(table, "status", status)
        if statuses := self._filtered_statuses():  # the open leads, the closed ones
            estimate = values_share_estimate(table, "status", statuses)
        return CountOf(self, limit=EXACT_COUNT_LIMIT, estimate=estimate)

    def _filtered_status(self) -> str | None:
        """The status kept when that is this queryset's one filter (the lists' status filter)."""
        filters = self._filters()
        if len(filters) != 1:
            return None
        (lookup,) = filters
        status_field = next((f for f in self.model._meta.fields if f.name == "status"), None)
        if isinstance(lookup, Exact) and getattr(lookup.lhs, "target", None) is status_field:
            return lookup.rhs if isinstance(lookup.rhs, str) else None
        return None

    def _filtered_statuses(self) -> list[str] | None:
        """The statuses kept when `status IN (…)` is this queryset's one filter (the lead list's
        default of open leads, or its closed ones)."""
        filters = self._filters()
        if len(filters) != 1 or not isinstance(filters[0], In):
            return None
        status_field = next((f for f in self.model._meta.fields if f.name == "status"), None)
        if getattr(filters[0].lhs, "target", None) is not status_field:
            return None
        values = list(filters[0].rhs) if isinstance(filters[0].rhs, (list, tuple, set)) else None
        return values if values and all(isinstance(v, str) for v in values) else None

    def _filters(self) -> list:
        """The conditions of this queryset's WHERE that someone chose, without the default
        manager's own: `deleted_at IS NULL` (Lead.objects leaves the trash out), which every
        lead list carries and which the table's statistics answer as well as before."""
        where = self.query.where
        if where.negated:
            return [where]
        return [child for child in where.children if not is_outside_the_trash(child)]

    def _settle_count(self, counted: int, *, seen: int, over_limit: str | None = None) -> tuple[int, bool]:
        """(count, is_estimate) from the count expression's value, never below the rows seen. A
        bounded count that stopped at the limit with no statistic to go by takes EXPLAIN's guess,
        which is remembered under `over_limit` (_over_limit_key) when it was read, not recalled:
        the next pages of that filter (a search for a common name) then cost their page query
        alone, no count and no EXPLAIN, as they do when fewer rows match."""
        count = max(counted, seen)
        if connections[self.db].vendor != "postgresql" or count <= EXACT_COUNT_LIMIT:
            return count, False
        if count == EXACT_COUNT_LIMIT + 1:
            plan = json.loads(self.order_by().explain(format="json"))
            count = max(int(plan[0]["Plan"]["Plan Rows"]), count)
        if over_limit is not None and counted == EXACT_COUNT_LIMIT + 1:
            cache.set(over_limit, count, OVER_LIMIT_SECONDS)
        return count, True


class Median(models.Aggregate):
    """PostgreSQL's exact median (percentile_cont) of a numeric expression."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = models.FloatField()


class CountOf(models.Subquery):
    """COUNT(*) of `queryset` as a scalar subquery; with `limit`, reading at most `limit` + 1 rows.

    Bounded, it is exact up to `limit`; past it, it is `estimate` (a scalar subquery such as
    value_share_estimate) when that is larger, else limit + 1. An estimate past TRUSTED times the
    limit is taken as it is, uncounted, as the table's own reltuples is: reading limit + 1
    index entries on every page (3-4 ms of the database's CPU for a status filter) would only
    confirm what statistics that far past the bound already say.
    """

    TRUSTED = 2
    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    estimating_template = (
        "(SELECT CASE WHEN guess.n > %(trusted)d THEN guess.n ELSE"
        " (SELECT CASE WHEN counted.n > %(limit)d THEN GREATEST(counted.n, guess.n) ELSE counted.n END"
        " FROM (SELECT COUNT(*) AS n FROM (%(subquery)s) AS bounded) AS counted) END"
        " FROM (SELECT (%(estimate)s) AS n) AS guess)"
    )
    output_field = models.BigIntegerField()

    def __init__(
        self, queryset: models.QuerySet, *, limit: int | None = None, estimate: RawSQL | None = None
    ):
        rows = queryset.order_by()
        # A constant, not the key: counting needs no column, so `WHERE status = …` is answered
        # from lead_status_idx alone (an index-only scan), not a heap visit per row. DISTINCT
        # rows are told apart by their key.
        rows = rows.values("pk") if rows.query.distinct else rows.values(one=models.Value(1))
        super().__init__(rows if limit is None else rows[: limit + 1])
        self.limit, self.estimate = limit, estimate

    def as_sql(self, compiler, connection, **extra_context):
        if self.estimate is None:
            return super().as_sql(compiler, connection, **extra_context)
        estimate_sql, estimate_params = self.estimate.as_sql(compiler, connection)
        subquery_sql, subquery_params = self.query.as_sql(compiler, connection)
        sql = self.estimating_template % {
            "limit": self.limit,
            "trusted": self.TRUSTED * self.limit,
            "estimate": estimate_sql,
            "subquery": subquery_sql[1:-1],  # as Subquery does: without its own parentheses
        }
        return sql, (*subquery_params, *estimate_params)  # in the order they appear


def medians(rows: models.QuerySet, *, start: str, end: str, by: str | None = None) -> dict:
    """{`by`'s value (None when not grouped): (how many rows, median seconds from `start` to
    `end`)} over `rows`, none for no rows: PostgreSQL's percentile_cont, in one query; elsewhere
    (no median aggregate) the durations, grouped and taken in Python."""
    rows = rows.order_by()
    groups = [by] if by else []
    if connections[rows.db].vendor == "postgresql":
        seconds = Median(Extract(F(end) - F(start), "epoch"))
        if not by:
            row = rows.aggregate(n=Count("pk"), median=seconds)
            return {None: (row["n"], float(row["median"]))} if row["n"] else {}
        grouped = rows.values(by).annotate(n=Count("pk"), median=seconds)
        return {row[by]: (row["n"], float(row["median"])) for row in grouped}
    durations = defaultdict(list)
    for *group, waited in rows.annotate(waited=F(end) - F(start)).values_list(*groups, "waited"):
        durations[group[0] if group else None].append(waited.total_seconds())
    return {key: (len(d), statistics.median(d)) for key, d in durations.items()}


def is_outside_the_trash(condition) -> bool:
    """Is `condition` the default manager's `deleted_at IS NULL` (leads.models.KeptLeadManager)?"""
    target = getattr(getattr(condition, "lhs", None), "target", None)
    return (
        isinstance(condition, IsNull)
        and condition.rhs is True
        and getattr(target, "name", "") == "deleted_at"
    )


def values_share_estimate(table: str, column: str, values: list[str]) -> RawSQL:
    """value_share_estimate summed over several values (NULL when none is a common value)."""
    return RawSQL(
        "SELECT round(c.reltuples * (SELECT sum(m.freq) FROM unnest(s.most_common_vals::text::text[],"
        " s.most_common_freqs) AS m(val, freq) WHERE m.val = ANY(%s)))::bigint"
        " FROM pg_class c JOIN pg_stats s ON s.schemaname = current_schema()"
        " AND s.tablename = c.relname AND s.attname = %s WHERE c.oid = %s::regclass",
        [list(values), column, table],
        output_field=models.BigIntegerField(),
    )


def table_rows_estimate(table: str) -> RawSQL:
    """The planner's row count of `table` (PostgreSQL's pg_class.reltuples; -1 before the first ANALYZE)."""
    return RawSQL(
        "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
        [table],
        output_field=models.BigIntegerField(),
    )


def value_share_estimate(table: str, column: str, value: str) -> RawSQL:
    """How many rows of `table` hold `value` in `column`, by the planner's statistics: reltuples
    times the value's frequency among pg_stats' most common values; NULL when not among them.
    Kept fresh by autovacuum's ANALYZE."""
    return RawSQL(
        "SELECT round(c.reltuples * s.most_common_freqs["
        "array_position(s.most_common_vals::text::text[], %s)])::bigint"
        " FROM pg_class c JOIN pg_stats s ON s.schemaname = current_schema()"
        " AND s.tablename = c.relname AND s.attname = %s WHERE c.oid = %s::regclass",
        [value, column, table],
        output_field=models.BigIntegerField(),
    )


# OFFSET costs grow with depth (OFFSET 500000: 300-560 ms), so pages end this many rows in;
# the lists offer filters, dates and search (the API: created_before) to go further back.
MAX_DEPTH = 10_000


class ListPaginator(Paginator):
    """Pages of a CountingQuerySet whose rows and count come from one query (page_with_count).

    `count` is exact up to EXACT_COUNT_LIMIT and the planner's estimate above it on PostgreSQL
    (`is_estimate` says which); pages stop MAX_DEPTH rows deep (`is_truncated` when more match).
    """

    is_estimate = False

    @classmethod
    def deepest_page(cls, per_page: int) -> int:
        """The last page number served at `per_page` rows a page."""
        return max(MAX_DEPTH // per_page, 1)

    def page(self, number):
        # The number is checked against the depth first: the count arrives with the rows.
        number = self._validate_number(number, self.deepest_page(self.per_page))
        bottom = (number - 1) * self.per_page
        rows, self.count, self.is_estimate = self.object_list.page_with_count(bottom, bottom + self.per_page)
        self.validate_number(number)
        return self._get_page(rows, number, self)

    @cached_property
    def count(self) -> int:
        # Only when asked before page(): page() sets the count from its own query.
        count, self.is_estimate = self.object_list.estimated_count()
        return count

    @cached_property
    def num_pages(self) -> int:
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        pages = math.ceil(max(1, self.count - self.orphans) / self.per_page)
        return min(pages, self.deepest_page(self.per_page))

    @property
    def is_truncated(self) -> bool:
        """True when more rows match than the pages reach."""
        return self.count > self.num_pages * self.per_page
