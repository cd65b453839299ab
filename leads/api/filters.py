"""Query parameters of the lead list; a bad value is a 400 naming the parameter."""

from datetime import UTC

from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField

from accounts.models import User
from leads.models import Delivery, Lead
from leads.representations import built_once_per_class

# A yes/no filter as a choice, not a BooleanFilter: that one ignores a value it cannot read
# instead of answering 400 on the parameter.
TRUE_OR_FALSE = [("true", "true"), ("false", "false")]


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, converted to UTC before it reaches the database.

    PostgreSQL refuses offsets beyond ±15:59 that Python accepts (a 500 otherwise), and a
    time near year 1 or 9999 may not exist in UTC at all.
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValidationError(
                "Enter a time between the years 1 and 9999 in UTC.", code="invalid"
            ) from None


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


ORDERING_FIELDS = ["created_at", "last_name", "status"]
# Each sort key, ascending and descending: what `ordering` takes (several, comma-separated, too).
ORDERING_KEYS = [key for field in ORDERING_FIELDS for key in (field, f"-{field}")]


class LeadOrderingFilter(filters.OrderingFilter):
    """The contract's sort keys, newest first by default.

    Ties are broken by creation time then id, in the direction of the first key, so every
    ordering matches one index read forwards or backwards (lead_created_idx,
    lead_status_created_idx, lead_last_name_idx) and pages are stable.
    """

    def filter(self, qs, value):
        if not value:
            return qs.newest_first()
        keys = [self.get_ordering_value(param) for param in value]
        direction = "-" if keys[0].startswith("-") else ""
        tiebreakers = [f"{direction}{field}" for field in ("created_at", "id") if field not in keys]
        return qs.order_by(*keys, *tiebreakers)


class OneFormFilterSet(filters.FilterSet):
    """A FilterSet whose form class is built once per FilterSet class, not on every request.

    django-filter makes a new form class with type() and a new form field per filter for each
    request (~0.8 ms of a list request). The form class depends only on the filters' fields,
    which here never depend on the request (no queryset callables), and each form instance
    deep-copies its fields anyway, so one class serves every request.
    """

    def get_form_class(self):
        return built_once_per_class(self, "_form_class", super().get_form_class)


class LeadFilter(OneFormFilterSet):
    status = filters.ChoiceFilter(choices=Lead.Status.choices, help_text="Only leads in this status.")
    created_after = UTCDateTimeFilter(
        field_name="created_at",
        lookup_expr="gte",
        help_text="Submitted at or after this ISO 8601 time (no offset: server time zone, UTC by default).",
    )
    created_before = UTCDateTimeFilter(
        field_name="created_at",
        lookup_expr="lt",
        help_text="Submitted before this ISO 8601 time (no offset: server time zone, UTC by default).",
    )
    search = filters.CharFilter(
        method="filter_search",
        help_text="Text contained in the first name, last name or email, any letter case; a whole "
        "address finds the lead that has it, however it is spelt (else the leads whose address contains it).",
    )
    resume_search = filters.CharFilter(
        method="filter_resume_search",
        help_text='Words of the resume, PostgreSQL websearch syntax (`"machine learning" -intern`); '
        "best match first unless `ordering` is given.",
    )
    assigned_to = filters.CharFilter(
        method="filter_assigned_to",
        help_text="`me` (the caller's leads), `none` (nobody's) or an active attorney's username "
        "(any other name: an empty list).",
    )
    overdue = filters.ChoiceFilter(
        choices=TRUE_OR_FALSE,
        method="filter_overdue",
        help_text="`true`: only PENDING leads past their response_due_at; `false`: all others.",
    )
    open = filters.ChoiceFilter(
        choices=TRUE_OR_FALSE,
        method="filter_open",
        help_text="`true`: open leads only (PENDING, REACHED_OUT); `false`: closed ones (an outcome).",
    )
    practice_area = filters.CharFilter(
        method="filter_practice_area",
        help_text="A practice area's slug, or `none` (leads without one).",
    )
    ordering = LeadOrderingFilter(
        fields=ORDERING_FIELDS,
        help_text="Sort key; prefix with - for descending. Default: -created_at (newest first).",
    )

    class Meta:
        model = Lead
        fields = [
            "status",
            "created_after",
            "created_before",
            "search",
            "resume_search",
            "assigned_to",
            "overdue",
            "open",
            "practice_area",
        ]

    def filter_open(self, queryset, name, value):
        return queryset.open_leads() if value == "true" else queryset.closed_leads()

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_practice_area(self, queryset, name, value):
        return queryset.in_practice_area(value)

    def filter_resume_search(self, queryset, name, value):
        return queryset.search_resumes(value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        words = self.form.cleaned_data.get("resume_search")
        if words and not self.form.cleaned_data.get("ordering"):
            return queryset.order_by_resume_rank(words)
        return queryset

    def filter_overdue(self, queryset, name, value):
        overdue = queryset.overdue()
        return overdue if value == "true" else queryset.exclude(pk__in=overdue.values("pk"))

    def filter_assigned_to(self, queryset, name, value):
        if value == "me":
            return queryset.assigned_to_user(self.request.user)
        if value == "none":
            return queryset.assigned_to_user(None)
        # Any name but an active attorney's is an empty list, never an error: a 400 for
        # unknown names would tell which usernames exist.
        attorney = User.objects.attorneys().get_by_username(value)
        return queryset.none() if attorney is None else queryset.assigned_to_user(attorney)


class DeliveryFilter(OneFormFilterSet):
    status = filters.ChoiceFilter(
        choices=Delivery.Status.choices, help_text="Only deliveries in this status."
    )
    lead = filters.UUIDFilter(field_name="lead", help_text="Only deliveries about this lead (its id).")

    class Meta:
        model = Delivery
        fields = ["status", "lead"]
