"""A lead as JSON, the one shape the API answers with and webhook calls carry (the worker
writes their bodies with it, outside any request), and the per-class caches DRF and
django-filter otherwise rebuild for every request."""

import copy
import uuid
from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User

from .models import Answer, Lead


def built_once_per_class[T](instance: object, attribute: str, build: Callable[[], T]) -> T:
    """What `build()` makes for the first instance of `instance`'s own class, kept on that class
    under `attribute` for every later one (a subclass builds and keeps its own)."""
    cls = type(instance)
    built = cls.__dict__.get(attribute)
    if built is None:
        built = build()
        setattr(cls, attribute, built)
    return built


# Stands for a lead's id in a URL reversed once for many leads.
ID_MARKER = uuid.UUID(int=0)


# The lead's times in the JSON: the format and time zone of the DateTimeField ModelSerializer
# gives each of them (read at each call, so the settings still decide).
MOMENT = serializers.DateTimeField(read_only=True)


LEAD_FIELDS = [
    "id",
    "first_name",
    "last_name",
    "email",
    "status",
    "resume_url",
    "created_at",
    "updated_at",
    "reached_out_at",
    "reached_out_by",
    "source",
    "referrer",
    "assigned_to",
    "resubmissions",
    "practice_area",
    "answers",
    "closed_at",
    "closed_by",
    "outcome_reason",
    "response_due_at",
    "language",
]


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ModelSerializer with its fields worked out from the model once per class.

    DRF introspects the model for every serializer it builds (~0.9 ms a request for the lead's
    fields); what it finds depends on Meta alone, so each instance gets a deep copy of the
    first result, as DRF gives each instance a deep copy of its declared fields.
    """

    def get_fields(self):
        return copy.deepcopy(built_once_per_class(self, "_model_fields", super().get_fields))


class LeadSerializer(ModelSerializer):
    """A lead as every endpoint returns it."""

    resume_url = serializers.SerializerMethodField(help_text="Download URL of the resume (needs view_lead).")
    reached_out_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of the attorney who first reached out, or null.",
    )
    assigned_to = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of the attorney the lead is assigned to, or null.",
    )
    closed_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of the attorney who closed the lead, or null while it is open.",
    )
    resubmissions = serializers.IntegerField(
        source="resubmission_count",
        read_only=True,
        help_text="How many times the prospect applied again through the form under this address "
        "(Lead.objects.with_resubmission_count() provides it).",
    )

    practice_area = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="Slug of the practice area the prospect chose, or null.",
    )
    answers = serializers.SerializerMethodField(
        help_text="The intake questions' answers by key: a string, list of strings, boolean, "
        "ISO date or number (Lead.objects.as_in_the_api() annotates them)."
    )
    response_due_at = serializers.SerializerMethodField(
        help_text="When a response to the prospect is due (LEAD_RESPONSE_TARGET_MINUTES business "
        "minutes after creation); null once reached out, or when there is no target."
    )

    class Meta:
        model = Lead
        fields = LEAD_FIELDS
        read_only_fields = LEAD_FIELDS

    def to_representation(self, lead: Lead) -> dict:
        """The lead's JSON straight from the row. Every field is read-only and plain, and DRF's
        generic loop (each field's get_attribute, None check and to_representation) cost ~0.4 ms
        a row, a third of a list page. The fields above still define the schema and the
        formats (dates go through a DateTimeField's to_representation, as the fields' own would,
        without building this serializer's fields per response: ~0.9 ms of a list page); a test
        holds this equal to DRF's own output."""
        moment = MOMENT.to_representation
        return {
            "id": str(lead.pk),
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "email": lead.email,
            "status": lead.status,
            "resume_url": self.get_resume_url(lead),
            "created_at": moment(lead.created_at),
            "updated_at": moment(lead.updated_at),
            "reached_out_at": moment(lead.reached_out_at),
            "reached_out_by": username_or_none(lead.reached_out_by),
            "source": lead.source,
            "referrer": lead.referrer,
            "assigned_to": username_or_none(lead.assigned_to),
            "resubmissions": lead.resubmission_count,
            "practice_area": lead.practice_area.slug if lead.practice_area_id else None,
            "answers": self.get_answers(lead),
            "closed_at": moment(lead.closed_at),
            "closed_by": username_or_none(lead.closed_by),
            "outcome_reason": lead.outcome_reason,
            "response_due_at": self.get_response_due_at(lead),
            "language": lead.language,
        }

    @extend_schema_field(serializers.DateTimeField(allow_null=True, read_only=True))
    def get_response_due_at(self, lead: Lead) -> str | None:
        if lead.reached_out_at is not None or lead.response_due_at is None:
            return None
        return MOMENT.to_representation(lead.response_due_at)

    @extend_schema_field({"type": "object", "additionalProperties": True})
    def get_answers(self, lead: Lead) -> dict:
        return Answer.by_key(lead)

    @extend_schema_field(OpenApiTypes.URI)
    def get_resume_url(self, lead: Lead) -> str:
        before, after = self._resume_url_around_id
        return f"{before}{lead.pk}{after}"

    @cached_property
    def _resume_url_around_id(self) -> tuple[str, str]:
        """The resume URL's text before and after the lead's id, built once per response: a
        list's rows share this serializer, and reversing the URL and checking the host per row
        took an eighth of a page's time."""
        path = reverse("api:lead-resume", args=[ID_MARKER])
        request = self.context.get("request")
        # Outside a request (a webhook's body, built by the worker): the site's own address.
        url = request.build_absolute_uri(path) if request else settings.SITE_URL + path
        before, _, after = url.partition(str(ID_MARKER))
        return before, after


def username_or_none(user: User | None) -> str | None:
    return None if user is None else user.username
