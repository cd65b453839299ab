"""Counting that stays cheap at a million rows: the one paginator of every list (leads,
deliveries, webhook endpoints; the admin's and the API's alike)."""

import math

from django.core.paginator import Paginator
from django.utils.functional import cached_property

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
