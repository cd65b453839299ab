"""SQL building blocks of the lead reads in LeadQuerySet: counts that stay cheap at a million
rows, and PostgreSQL's median.

An exact COUNT(*) of most of a large table costs 100-800 ms at a million leads (PostgreSQL
reads every matching row, a parallel sequential scan, as measured on a 2-core machine), so
the reads count exactly up to a bound and ask the planner's statistics above it. Each piece
is a scalar subquery, so a page query can carry its own count in the same statement.
"""

from django.db import models
from django.db.models.expressions import RawSQL


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
