"""The shapes the API accepts and answers with (the lead itself: leads.representations).
Serializers validate; services act."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from rest_framework import serializers

from accounts.models import User
from leads import recipients
from leads.models import (
    CLOSED_STATUSES,
    Delivery,
    Lead,
    Note,
    PracticeArea,
    Question,
    WebhookEndpoint,
    check_answers,
)
from leads.representations import ModelSerializer
from leads.selectors import TIMELINE_TYPES
from leads.translations import translated
from leads.validators import validate_resume


class TextSlugRelatedField(serializers.SlugRelatedField):
    """A row by a text column, a NUL refused before it is looked up: PostgreSQL refuses a NUL in
    a query's text (a DataError, so a 500), and no username or slug has one."""

    default_error_messages = {"null_characters": "Null characters are not allowed."}

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("null_characters")
        return super().to_internal_value(data)


class LeadCreateSerializer(ModelSerializer):
    """What `POST /api/v1/leads/` takes (multipart), checked as the intake form checks it:
    lengths and validators come from the Lead model's fields."""

    resume = serializers.FileField(help_text="PDF, DOC or DOCX, judged by content; RESUME_MAX_BYTES at most.")
    practice_area = TextSlugRelatedField(
        slug_field="slug",
        queryset=PracticeArea.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="The slug of an active practice area (GET /api/v1/intake-form/ lists them).",
    )
    answers = serializers.JSONField(
        required=False,
        binary=True,
        help_text='The intake questions\' answers as a JSON object by key, e.g. {"phone": "+12025550143"}; '
        'errors come as {"answers": {"<key>": [messages]}}.',
    )
    language = serializers.ChoiceField(
        choices=settings.INTAKE_LANGUAGES,
        required=False,
        help_text="The prospect's language (one of INTAKE_LANGUAGES): every email to them speaks it. "
        "Default: the first of INTAKE_LANGUAGES.",
    )

    class Meta:
        model = Lead
        fields = [
            "first_name",
            "last_name",
            "email",
            "resume",
            "source",
            "referrer",
            "practice_area",
            "answers",
            "language",
        ]
        extra_kwargs = {
            "source": {"help_text": "Where the prospect came from, e.g. a utm_source. Read-only."},
            "referrer": {"help_text": "The page that sent the prospect. Read-only."},
        }

    def validate_answers(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Send the answers as a JSON object by question key.")
        return value

    def validate(self, attrs):
        """The answers checked as the form checks them (models.check_answers): only those that
        apply are kept, errors by key under `answers`."""
        attrs = super().validate(attrs)
        kept, errors = check_answers(area=attrs.get("practice_area"), raw=attrs.pop("answers", None) or {})
        if errors:
            raise serializers.ValidationError({"answers": errors})
        attrs["answers"] = kept
        return attrs

    def validate_resume(self, value):
        try:
            validate_resume(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class AttorneyField(TextSlugRelatedField):
    """An active attorney by username; null for nobody."""

    default_error_messages = {
        "does_not_exist": "No active attorney has the username {value}.",
        "invalid": "Give an attorney's username, or null.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="username", queryset=User.objects.attorneys(), allow_null=True, **kwargs)


class LeadUpdateSerializer(ModelSerializer):
    """What `PATCH /api/v1/leads/{id}/` may change; every other field is read-only."""

    status = serializers.ChoiceField(
        choices=Lead.Status.choices,
        required=False,
        help_text="REACHED_OUT records the first reach-out time and attorney; PENDING moves it "
        "back. An outcome (RETAINED, DECLINED, REFERRED, NO_RESPONSE) closes the lead (with "
        "`reason`, and `referred_to` for REFERRED); an open status on a closed lead reopens it.",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="With an outcome in `status`: why (required for DECLINED and REFERRED), ≤500.",
    )
    referred_to = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="With REFERRED in `status`: to whom the lead was referred, ≤200.",
    )
    assigned_to = AttorneyField(
        required=False,
        help_text="Username of an active attorney to assign the lead to (they get an email), "
        "or null to unassign. Every change is kept in the lead's timeline.",
    )

    class Meta:
        model = Lead
        fields = ["first_name", "last_name", "email", "status", "assigned_to", "reason", "referred_to"]


class LeadCloseSerializer(serializers.Serializer):
    """What `POST /api/v1/leads/{id}/close/` takes; the service checks what each outcome needs."""

    outcome = serializers.ChoiceField(
        choices=[(status, label) for status, label in Lead.Status.choices if status in CLOSED_STATUSES],
        help_text="RETAINED, DECLINED, REFERRED or NO_RESPONSE.",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="Why; required for DECLINED and REFERRED; ≤500 characters.",
    )
    referred_to = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="For REFERRED (required): the lawyer or firm it was sent to; ≤200 characters.",
    )
    send_letter = serializers.BooleanField(
        required=False,
        default=False,
        help_text="DECLINED or REFERRED: send the prospect the non-engagement letter (a delivery, "
        "within PROSPECT_EMAILS_PER_DAY).",
    )


class LeadStatsSerializer(serializers.Serializer):
    """The funnel at a glance."""

    PENDING = serializers.IntegerField(help_text="Leads waiting for a reach-out.")
    REACHED_OUT = serializers.IntegerField(help_text="Leads reached out to.")
    RETAINED = serializers.IntegerField(help_text="Leads closed as retained (became clients).")
    DECLINED = serializers.IntegerField(help_text="Leads closed as declined.")
    REFERRED = serializers.IntegerField(help_text="Leads closed as referred out.")
    NO_RESPONSE = serializers.IntegerField(help_text="Leads closed as no response.")
    total = serializers.IntegerField(help_text="All leads (not in the trash), open and closed.")
    median_seconds_to_reach_out = serializers.FloatField(
        allow_null=True, help_text="Median seconds from submission to first reach-out; null if none yet."
    )
    pending_older_than_48h = serializers.IntegerField(help_text="PENDING leads submitted over 48 hours ago.")
    practice_areas = serializers.DictField(
        child=serializers.IntegerField(), help_text='Leads per practice area slug ("none": without one).'
    )


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
        "resume_downloaded {resubmission (null: the first resume), via}; status_changed to an "
        "outcome also {reason, referred_to}; deleted, restored (the trash) and exported (the "
        "prospect's copy) {}."
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


class IntakeQuestionSerializer(serializers.Serializer):
    """One question of the intake form, its texts in the requested language."""

    key = serializers.CharField()
    label = serializers.CharField()
    help_text = serializers.CharField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    options = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text="[{value, label}] for the choice kinds.",
    )
    required = serializers.BooleanField()
    show_if = serializers.DictField(
        allow_null=True, help_text='{"key": <an earlier question\'s key>, "values": [answers]} or null.'
    )

    def to_representation(self, question: Question) -> dict:
        return {
            "key": question.key,
            "label": translated(question, "label"),
            "help_text": translated(question, "help_text"),
            "kind": question.kind,
            "options": [{"value": v, "label": question.option_label(v)} for v in question.option_values()],
            "required": question.required,
            "show_if": {"key": question.show_if_question.key, "values": question.show_if_words()}
            if question.show_if_question_id
            else None,
        }


class IntakePracticeAreaSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    questions = IntakeQuestionSerializer(many=True)


class IntakeFormSerializer(serializers.Serializer):
    """What `GET /api/v1/intake-form/` answers: the questions for everyone, and each active
    practice area with its own."""

    practice_areas = IntakePracticeAreaSerializer(many=True)
    questions = IntakeQuestionSerializer(many=True, help_text="Asked of everyone.")
