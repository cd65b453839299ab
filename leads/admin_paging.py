"""Counting for the lead list that stays cheap at a million rows.

An exact `COUNT(*)` of most of a large table costs ~100 ms on every page (PERFORMANCE.md),
so the paginator counts exactly only up to EXACT_COUNT_LIMIT rows and shows the planner's
estimate above that: `pg_class.reltuples` for the unfiltered list, the plan's row estimate
for a filtered one. Deep OFFSETs are linear too, so the page links stop at MAX_PAGES.
"""

import json
import math

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

EXACT_COUNT_LIMIT = 10_000
MAX_PAGES = 200


class EstimatedCountPaginator(Paginator):
    """A paginator whose `count` is exact up to EXACT_COUNT_LIMIT, estimated beyond it.

    `is_estimate` says which; on databases other than PostgreSQL it is always exact.
    """

    is_estimate = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return queryset.count()
        if not queryset.query.where:
            estimate = self._table_estimate(connection, queryset.model._meta.db_table)
            if estimate > EXACT_COUNT_LIMIT:
                self.is_estimate = True
                return estimate
        # SELECT COUNT(*) FROM (SELECT … LIMIT n+1): never reads more than n+1 rows.
        bounded = queryset.order_by()[: EXACT_COUNT_LIMIT + 1].count()
        if bounded <= EXACT_COUNT_LIMIT:
            return bounded
        self.is_estimate = True
        return max(self._plan_estimate(queryset), bounded)

    @cached_property
    def num_pages(self) -> int:
        if self.count == 0 and not self.allow_empty_first_page:
            return 0
        hits = max(1, self.count - self.orphans)
        return min(math.ceil(hits / self.per_page), MAX_PAGES)

    @property
    def is_truncated(self) -> bool:
        """True when more rows match than the page links reach."""
        return self.count > MAX_PAGES * self.per_page

    @staticmethod
    def _table_estimate(connection, table: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
            row = cursor.fetchone()
        return int(row[0]) if row else -1  # -1: never analysed

    @staticmethod
    def _plan_estimate(queryset) -> int:
        plan = json.loads(queryset.order_by().explain(format="json"))
        return int(plan[0]["Plan"]["Plan Rows"])
