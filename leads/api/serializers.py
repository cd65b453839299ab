"""The lead as JSON, and the shapes the API accepts. Serializers validate; services act."""

import copy
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from leads import recipients
from leads.models import TIMELINE_TYPES, Delivery, Lead, Note, WebhookEndpoint
from leads.validators import validate_resume

from .per_class import built_once_per_class

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
        }

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


class LeadCreateSerializer(ModelSerializer):
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


class AttorneyField(serializers.SlugRelatedField):
    """An active attorney by username; null for nobody."""

    default_error_messages = {
        "does_not_exist": "No active attorney has the username {value}.",
        "invalid": "Give an attorney's username, or null.",
        "null_characters": "Null characters are not allowed.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", queryset=User.objects.attorneys(), allow_null=True, **kwargs)

    def to_internal_value(self, data):
        # PostgreSQL refuses a NUL in a query's text (a DataError, so a 500); no username has one.
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)


class LeadUpdateSerializer(ModelSerializer):
    """What `PATCH /api/v1/leads/{id}/` may change; every other field is read-only."""

    status = serializers.ChoiceField(
        choices=Lead.Status.choices,
        required=False,
        help_text="REACHED_OUT records the first reach-out time and attorney; PENDING reopens.",
    )
    assigned_to = AttorneyField(
        required=False,
        help_text="Username of an active attorney to assign the lead to (they get an email), "
        "or null to unassign. Every change is kept in the lead's timeline.",
    )

    class Meta:
        model = Lead
        fields = ["first_name", "last_name", "email", "status", "assigned_to"]


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


RECIPIENT_HELP = (
    "An email address, or a webhook call's subscription URL: its host only, unless the caller "
    "may view webhook subscriptions (leads.view_webhookendpoint). Empty: nobody to send to."
)


STATUS_HELP = (
    "queued (waiting for its first or next attempt), sent, failed, or printed: written to the "
    "log because no mail server is configured, which only DEBUG allows; nobody received it."
)


def recipient_for_caller(channel: str, recipient: str, context: dict) -> str:
    """The recipient as the request's user may see it (leads.recipients)."""
    return recipients.shown_recipient(
        recipient, is_webhook=channel == Delivery.Channel.WEBHOOK, viewer=context["request"].user
    )


class DeliverySerializer(ModelSerializer):
    """One email or webhook call and what became of it."""

    lead = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The lead it was about (null once that lead is deleted)."
    )

    class Meta:
        model = Delivery
        fields = ["id", "kind", "channel", "recipient", "lead", "status", "attempts", "last_error",
                  "created_at", "sent_at"]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {"recipient": {"help_text": RECIPIENT_HELP}, "status": {"help_text": STATUS_HELP}}

    def to_representation(self, delivery):
        data = super().to_representation(delivery)
        data["recipient"] = recipient_for_caller(delivery.channel, delivery.recipient, self.context)
        return data


class NoteSerializer(ModelSerializer):
    """An attorney's note on a lead; `body` is the only thing a caller writes."""

    author = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text="Username of who wrote it."
    )

    class Meta:
        model = Note
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = ["id", "author", "created_at"]
        extra_kwargs = {
            "body": {
                "help_text": "Plain text (line breaks allowed), at most 5,000 characters.",
                "trim_whitespace": False,
            }
        }


class TimelineEventSerializer(serializers.Serializer):
    """One thing that happened to a lead."""

    type = serializers.ChoiceField(
        choices=TIMELINE_TYPES,
        help_text="What happened.",
    )
    at = serializers.DateTimeField(help_text="When.")
    by = serializers.CharField(
        source="by.username",
        read_only=True,
        allow_null=True,
        help_text="Who: a username, or null (the prospect or the system).",
    )
    detail = serializers.DictField(
        help_text="What exactly, by type: submitted {source, referrer}; resubmitted {resubmission, "
        "source, referrer, resume_url}; status_changed {from, to}; assigned {from, to} (usernames "
        "or null); note {id, body}; delivery {id, kind, description, channel, recipient (a webhook "
        "call's URL by its host only, unless the caller may view webhook subscriptions), status "
        "(queued, sent, failed, or printed: only written to the log), attempts, error, sent_at}; "
        "resume_downloaded {resubmission (null: the first resume), via}."
    )

    def to_representation(self, event):
        data = super().to_representation(event)
        if event.type == "delivery":
            detail = event.detail
            data["detail"] = {
                **data["detail"],
                "recipient": recipient_for_caller(detail["channel"], detail["recipient"], self.context),
            }
        if event.type == "resubmitted":
            path = reverse("api:lead-resume", args=[self.context["lead"].pk])
            url = f"{path}?resubmission={event.detail['resubmission']}"
            request = self.context.get("request")
            data["detail"] = {
                **data["detail"],
                "resume_url": request.build_absolute_uri(url) if request else url,
            }
        return data


WEBHOOK_FIELDS = ["id", "url", "events", "is_active", "created_at"]
EVENTS_HELP = "Events to receive: " + ", ".join(WebhookEndpoint.Event.values) + "."


class WebhookEndpointSerializer(ModelSerializer):
    """A webhook subscription, without its secret."""

    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEndpoint.Event.choices), help_text=EVENTS_HELP
    )

    class Meta:
        model = WebhookEndpoint
        fields = WEBHOOK_FIELDS
        read_only_fields = WEBHOOK_FIELDS


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """A new subscription, with the secret that signs its calls: shown in this answer only."""

    secret = serializers.CharField(
        read_only=True, help_text="Standard Webhooks signing secret (whsec_…). Shown only now: keep it."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WEBHOOK_FIELDS, "secret"]
        read_only_fields = fields


class WebhookEndpointCreateSerializer(serializers.Serializer):
    """What `POST /api/v1/webhooks/` takes."""

    url = serializers.URLField(
        max_length=2000, help_text="https:// only; its host must resolve to public addresses."
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEndpoint.Event.choices),
        allow_empty=False,
        help_text=EVENTS_HELP,
    )
