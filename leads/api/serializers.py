"""The lead as JSON, and the shapes the API accepts. Serializers validate; services act."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leads import services
from leads.models import Delivery, Lead
from leads.validators import validate_resume

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
    "resubmissions",
]


class LeadSerializer(serializers.ModelSerializer):
    """A lead as every endpoint returns it."""

    resume_url = serializers.SerializerMethodField(help_text="Download URL of the resume (needs view_lead).")
    reached_out_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of the attorney who first reached out, or null.",
    )
    resubmissions = serializers.IntegerField(
        source="resubmission_count",
        read_only=True,
        help_text="How many times the prospect applied again through the form under this address "
        "(Lead.objects.with_resubmission_count() provides it).",
    )

    class Meta:
        model = Lead
        fields = LEAD_FIELDS
        read_only_fields = LEAD_FIELDS

    @extend_schema_field(OpenApiTypes.URI)
    def get_resume_url(self, lead: Lead) -> str:
        path = reverse("api:lead-resume", args=[lead.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class LeadCreateSerializer(serializers.ModelSerializer):
    """What `POST /api/v1/leads/` takes (multipart), checked as the intake form checks it:
    lengths and validators come from the Lead model's fields."""

    resume = serializers.FileField(help_text="PDF, DOC or DOCX, judged by content; RESUME_MAX_BYTES at most.")

    class Meta:
        model = Lead
        fields = ["first_name", "last_name", "email", "resume", "source", "referrer"]
        extra_kwargs = {
            "source": {"help_text": "Where the prospect came from, e.g. a utm_source. Read-only."},
            "referrer": {"help_text": "The page that sent the prospect. Read-only."},
        }

    def validate_resume(self, value):
        try:
            validate_resume(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class LeadUpdateSerializer(serializers.ModelSerializer):
    """What `PATCH /api/v1/leads/{id}/` may change; every other field is read-only."""

    status = serializers.ChoiceField(
        choices=Lead.Status.choices,
        required=False,
        help_text="REACHED_OUT records the first reach-out time and attorney; PENDING reopens.",
    )

    class Meta:
        model = Lead
        fields = ["first_name", "last_name", "email", "status"]

    def validate_email(self, value: str) -> str:
        other = Lead.objects.by_email(value)
        if other is not None and other.pk != self.instance.pk:
            raise serializers.ValidationError(services.EMAIL_TAKEN_MESSAGE)
        return value


class LeadStatsSerializer(serializers.Serializer):
    """The funnel at a glance."""

    PENDING = serializers.IntegerField(help_text="Leads waiting for a reach-out.")
    REACHED_OUT = serializers.IntegerField(help_text="Leads reached out to.")
    total = serializers.IntegerField(help_text="All leads.")
    median_seconds_to_reach_out = serializers.FloatField(
        allow_null=True, help_text="Median seconds from submission to first reach-out; null if none yet."
    )
    pending_older_than_48h = serializers.IntegerField(help_text="PENDING leads submitted over 48 hours ago.")


class ErrorSerializer(serializers.Serializer):
    """Every error but a 400: a human-readable `detail`."""

    detail = serializers.CharField()


# A 400's body: each bad field (or `non_field_errors`) with its messages.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Each invalid field (or non_field_errors) with its messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


class DeliverySerializer(serializers.ModelSerializer):
    """One email or webhook call and what became of it."""

    lead = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The lead it was about (null once that lead is deleted)."
    )

    class Meta:
        model = Delivery
        fields = ["id", "kind", "channel", "recipient", "lead", "status", "attempts", "last_error",
                  "created_at", "sent_at"]  # fmt: skip
        read_only_fields = fields
