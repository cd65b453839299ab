"""Query parameters of the lead list; a bad value is a 400 naming the parameter."""

from django_filters import rest_framework as filters

from leads.models import Lead


class LeadOrderingFilter(filters.OrderingFilter):
    """The contract's sort keys, newest first by default, id as the tiebreaker."""

    def filter(self, qs, value):
        if not value:
            return qs.newest_first()
        return qs.order_by(*[self.get_ordering_value(param) for param in value], "-created_at", "-id")


class LeadFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Lead.Status.choices, help_text="Only leads in this status.")
    created_after = filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Submitted at or after this ISO 8601 time (no offset: server time zone, UTC by default).",
    )
    created_before = filters.IsoDateTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        help_text="Submitted before this ISO 8601 time (no offset: server time zone, UTC by default).",
    )
    search = filters.CharFilter(
        method="filter_search",
        help_text="Text contained in the first name, last name or email, any letter case.",
    )
    ordering = LeadOrderingFilter(
        fields=["created_at", "last_name", "status"],
        help_text="Sort key; prefix with - for descending. Default: -created_at (newest first).",
    )

    class Meta:
        model = Lead
        fields = ["status", "created_after", "created_before", "search"]

    def filter_search(self, queryset, name, value):
        return queryset.search(value)
