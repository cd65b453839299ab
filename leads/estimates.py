"""Counting for the admin's pages that stays cheap at a million rows.

An exact `COUNT(*)` of most of a large table costs 100-800 ms on every page (PERFORMANCE.md;
more on this shared 2-core machine), so counts are exact up to EXACT_COUNT_LIMIT rows and
the planner's estimate above that: `pg_class.reltuples` for a whole table, the plan's row
estimate for a filtered queryset, `pg_stats` for the counts per status. Deep OFFSETs are
linear too, so the page links stop at MAX_PAGES. Other databases always count exactly.
"""

import json
import math

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property

EXACT_COUNT_LIMIT = 10_000
MAX_PAGES = 200


def estimated_count(queryset: QuerySet) -> tuple[int, bool]:
    """(count, is_estimate): exact up to EXACT_COUNT_LIMIT rows, the planner's guess above."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.count(), False
    if not queryset.query.where:
        estimate = table_estimate(queryset.model._meta.db_table, using=queryset.db)
        if estimate > EXACT_COUNT_LIMIT:
            return estimate, True
    # SELECT COUNT(*) FROM (SELECT … LIMIT n+1): never reads more than n+1 rows.
    bounded = queryset.order_by()[: EXACT_COUNT_LIMIT + 1].count()
    if bounded <= EXACT_COUNT_LIMIT:
        return bounded, False
    plan = json.loads(queryset.order_by().explain(format="json"))
    return max(int(plan[0]["Plan"]["Plan Rows"]), bounded), True


def table_estimate(table: str, using: str = "default") -> int:
    """The planner's row count of `table` (PostgreSQL), -1 when never analysed."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    return int(row[0]) if row else -1


def estimated_count_by_status(model, statuses: list[str]) -> tuple[dict[str, int], bool]:
    """({status: count}, is_estimate) for the whole table in one query.

    Above EXACT_COUNT_LIMIT rows on PostgreSQL: reltuples times the status column's
    most-common-value frequencies from pg_stats (kept fresh by autovacuum's ANALYZE);
    otherwise the exact `count_by_status()` aggregate.
    """
    connection = connections[model.objects.db]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.reltuples::bigint, s.most_common_vals::text::text[], s.most_common_freqs "
                "FROM pg_class c LEFT JOIN pg_stats s ON s.schemaname = current_schema() "
                "AND s.tablename = c.relname AND s.attname = 'status' "
                "WHERE c.oid = %s::regclass",
                [model._meta.db_table],
            )
            rows, values, freqs = cursor.fetchone()
        if rows > EXACT_COUNT_LIMIT and values:
            share = dict(zip(values, freqs, strict=True))
            return {status: round(rows * share.get(status, 0.0)) for status in statuses}, True
    return model.objects.count_by_status(), False


class EstimatedCountPaginator(Paginator):
    """A paginator whose `count` is exact up to EXACT_COUNT_LIMIT, estimated beyond it.

    `is_estimate` says which; on databases other than PostgreSQL it is always exact.
    """

    is_estimate = False
    # Page links stop here (None: no cap, the caller limits depth itself).
    max_pages: int | None = MAX_PAGES

    @cached_property
    def count(self) -> int:
        count, self.is_estimate = estimated_count(self.object_list)
        return count

    @cached_property
    def num_pages(self) -> int:
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        pages = math.ceil(max(1, self.count - self.orphans) / self.per_page)
        return pages if self.max_pages is None else min(pages, self.max_pages)

    @property
    def is_truncated(self) -> bool:
        """True when more rows match than the page links reach."""
        return self.max_pages is not None and self.count > self.max_pages * self.per_page
