"""The lead endpoints: request in, one service call, response out."""

from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from leads import selectors, services
from leads.downloads import resume_response
from leads.models import Delivery, Lead, ResumeDownload, WebhookEndpoint
from leads.representations import LeadSerializer
from leads.validators import CONTENT_TYPES

from .filters import ORDERING_KEYS, DeliveryFilter, LeadFilter
from .pagination import ListPagination
from .permissions import ChangePermission, ModelPermissions
from .serializers import (
    VALIDATION_ERROR_SCHEMA,
    DeliverySerializer,
    ErrorSerializer,
    LeadCloseSerializer,
    LeadCreateSerializer,
    LeadStatsSerializer,
    LeadUpdateSerializer,
    NoteSerializer,
    TimelineEventSerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
)


def errors(*codes: int) -> dict:
    """Documented error responses: 400 as {field: [messages]}, the rest as {detail}."""
    described = {
        400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="Invalid input, per field."),
        401: OpenApiResponse(ErrorSerializer, description="No or invalid credentials."),
        403: OpenApiResponse(
            ErrorSerializer,
            description=(
                "Missing the model permission; or, with STAFF_2FA_REQUIRED, a staff user's token "
                "or session that did not pass a second factor."
            ),
        ),
        404: OpenApiResponse(ErrorSerializer, description="No such lead (or page)."),
        429: OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After."),
    }
    return {code: described[code] for code in (*codes, 401, 403, 429)}


class IgnoreAcceptNegotiation(BaseContentNegotiation):
    """For the file download: any Accept gets the file, and errors still come as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema_view(
    list=extend_schema(
        summary="List leads",
        description="Newest first unless `ordering` says otherwise (with `resume_search`: best "
        "match first). `count` is exact up to "
        "10,000 matching leads; above that, on PostgreSQL, it is the database's estimate.",
        # `ordering` as one string: the filter's own schema is an array, which generated
        # clients send as repeated parameters, and only the first of those would count.
        parameters=[
            OpenApiParameter(
                "ordering",
                str,
                enum=ORDERING_KEYS,
                description="Sort key; prefix with - for descending. Default: -created_at (newest "
                "first). Several keys may be joined with commas, e.g. `status,-created_at`.",
            )
        ],
        responses={200: LeadSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="Get a lead",
        description="An unknown or malformed id is a 404.",
        responses={200: LeadSerializer, **errors(404)},
    ),
    destroy=extend_schema(
        summary="Delete a lead",
        description="Moves the lead to the trash: from then on it is a 404 everywhere, and after "
        "LEAD_TRASH_DAYS (default 30) it is erased with its history and resume files. Staff "
        "restore it from the admin's Trash until then.",
        responses={204: OpenApiResponse(description="Deleted."), **errors(404)},
    ),
)
class LeadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Leads: find, create, update, reach out, download the resume, delete."""

    queryset = Lead.objects.as_in_the_api()
    serializer_class = LeadSerializer
    permission_classes = [ModelPermissions]
    filter_backends = [DjangoFilterBackend]
    filterset_class = LeadFilter
    pagination_class = ListPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    @extend_schema(
        summary="Create a lead",
        description="The same checks, duplicate handling and emails as the public intake form. "
        "`source` and `referrer` are optional and read-only afterwards.",
        request={"multipart/form-data": LeadCreateSerializer},
        responses={201: LeadSerializer, **errors(400)},
    )
    def create(self, request, *args, **kwargs):
        serializer = LeadCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = services.submit_lead(**serializer.validated_data, submitted_by=request.user)
        # Answered from the lead in hand, not read back (a query more): a new lead has every
        # column it was saved with, nobody assigned or reaching out, and no resubmission yet.
        lead.resubmission_count = 0
        body = LeadSerializer(lead, context=self.get_serializer_context()).data
        location = request.build_absolute_uri(reverse("api:lead-detail", args=[lead.pk]))
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(
        summary="Change a lead",
        description="Names, email, `status` and `assigned_to`. Moving to REACHED_OUT records the "
        "first reach-out time and the caller; `assigned_to` takes an active attorney's username "
        "(emailed when it is not the caller) or null. Every change is kept in the lead's timeline.",
        request=LeadUpdateSerializer,
        responses={200: LeadSerializer, **errors(400, 404)},
        examples=[
            OpenApiExample("Reach out", value={"status": "REACHED_OUT"}, request_only=True),
            OpenApiExample("Assign", value={"assigned_to": "ada"}, request_only=True),
            OpenApiExample("Unassign", value={"assigned_to": None}, request_only=True),
        ],
    )
    def partial_update(self, request, *args, **kwargs):
        lead = self.get_object()
        serializer = LeadUpdateSerializer(lead, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        lead = services.update_lead(lead=lead, by=request.user, **serializer.validated_data)
        return Response(self._render(lead))

    def perform_destroy(self, instance):
        services.trash_leads(leads=Lead.objects.filter(pk=instance.pk), by=self.request.user)

    @extend_schema(
        summary="Reach out to a lead",
        description="Idempotent: the first reach-out's time and attorney are kept. Needs change_lead.",
        request=None,
        responses={200: LeadSerializer, **errors(404)},
    )
    @action(detail=True, methods=["post"], url_path="reach-out", permission_classes=[ChangePermission])
    def reach_out(self, request, pk=None):
        lead = services.reach_out(lead=self.get_object(), by=request.user)
        return Response(self._render(lead))

    @extend_schema(
        summary="Close a lead with an outcome",
        description="RETAINED, DECLINED (a `reason` is required), REFERRED (`reason` and "
        "`referred_to` required) or NO_RESPONSE; recorded on the timeline with the caller, and "
        "`send_letter` (DECLINED or REFERRED) sends the prospect the non-engagement letter. A lead "
        "already closed is a 400 on `status`. Needs change_lead.",
        request=LeadCloseSerializer,
        responses={200: LeadSerializer, **errors(400, 404)},
    )
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def close(self, request, pk=None):
        lead = self.get_object()
        serializer = LeadCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lead = services.close_lead(lead=lead, by=request.user, **serializer.validated_data)
        return Response(self._render(lead))

    @extend_schema(
        summary="Reopen a closed lead",
        description="Back to the status it had before closing (PENDING or REACHED_OUT); its outcome "
        "stays on the timeline. An open lead is a 400 on `status`. Needs change_lead.",
        request=None,
        responses={200: LeadSerializer, **errors(400, 404)},
    )
    @action(detail=True, methods=["post"], permission_classes=[ChangePermission])
    def reopen(self, request, pk=None):
        lead = services.reopen_lead(lead=self.get_object(), by=request.user)
        return Response(self._render(lead))

    @extend_schema(
        summary="Download a lead's resume",
        description="The stored file as an attachment, typed by its kind (PDF, DOC or DOCX): the "
        "first application's, or with `resubmission` that resubmission's. Every download is "
        "recorded (who, when, which file).",
        parameters=[
            OpenApiParameter(
                "resubmission",
                OpenApiTypes.UUID,
                OpenApiParameter.QUERY,
                description="Id of one of the lead's resubmissions: its resume instead of the first. "
                "An unknown id is a 404.",
            )
        ],
        # application/octet-stream first: generated clients take the first type they know
        # and return the bytes; the others say which types the file comes as.
        responses={
            **{
                (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="The resume.")
                for content_type in ["application/octet-stream", *CONTENT_TYPES.values()]
            },
            **errors(404),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        content_negotiation_class=IgnoreAcceptNegotiation,
        filter_backends=[],
        pagination_class=None,
    )
    def resume(self, request, pk=None):
        return resume_response(
            self.get_object(),
            resubmission_id=request.query_params.get("resubmission"),
            by=request.user,
            via=ResumeDownload.Via.API,
        )

    @extend_schema(
        summary="Lead statistics",
        description="Leads per status, the median time to first reach-out, and PENDING leads "
        "older than 48 hours, over all leads. Above 10,000 leads the figures may be up to "
        "LEAD_STATS_CACHE_SECONDS (default 60) old.",
        responses={200: LeadStatsSerializer, **errors()},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def stats(self, request):
        return Response(LeadStatsSerializer(selectors.lead_stats()).data)

    @extend_schema(
        summary="A lead's timeline",
        description="Everything that happened to the lead, oldest first: submitted, resubmitted, "
        "status_changed, assigned, note, delivery, resume_downloaded. `by` is a username, or "
        "null for the prospect and the system.",
        responses={200: TimelineEventSerializer(many=True), **errors(404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def timeline(self, request, pk=None):
        lead = self.get_object()
        events = selectors.timeline(lead, limit=None).events
        context = {**self.get_serializer_context(), "lead": lead}
        return Response(TimelineEventSerializer(events, many=True, context=context).data)

    @extend_schema(
        methods=["GET"],
        summary="A lead's notes",
        description="The attorneys' notes on the lead, oldest first.",
        responses={200: NoteSerializer(many=True), **errors(404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a note to a lead",
        description="Plain text (line breaks allowed, no other control characters), at most 5,000 "
        "characters; the caller is its author. Needs change_lead. Notes cannot be edited.",
        request=NoteSerializer,
        responses={201: NoteSerializer, **errors(400, 404)},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        permission_classes=[ChangePermission],
        filter_backends=[],
        pagination_class=None,
    )
    def notes(self, request, pk=None):
        lead = self.get_object()
        if request.method == "GET":
            return Response(NoteSerializer(lead.notes.select_related("author"), many=True).data)
        serializer = NoteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.add_note(lead=lead, author=request.user, **serializer.validated_data)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    def _render(self, lead: Lead) -> dict:
        """The lead as it is now, read again with what the list shows (resubmissions)."""
        lead = self.get_queryset().get(pk=lead.pk)
        return LeadSerializer(lead, context=self.get_serializer_context()).data


@extend_schema_view(
    list=extend_schema(
        summary="List deliveries",
        description="Every email and webhook call, newest first: queued, sent, failed, or printed "
        "(written to the log because no mail server is configured, which only DEBUG allows: "
        "nobody received it), with its attempts and last error. Needs leads.view_delivery.",
        responses={200: DeliverySerializer(many=True), **errors(400, 404)},
    ),
)
class DeliveryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Deliveries: what was sent to whom, and what failed."""

    queryset = Delivery.objects.order_by("-created_at", "-id")
    serializer_class = DeliverySerializer
    permission_classes = [ModelPermissions]
    filter_backends = [DjangoFilterBackend]
    filterset_class = DeliveryFilter
    pagination_class = ListPagination
    http_method_names = ["get", "head", "options"]


@extend_schema_view(
    list=extend_schema(
        summary="List webhook subscriptions",
        description="Oldest first, without their secrets. Needs leads.view_webhookendpoint.",
        responses={200: WebhookEndpointSerializer(many=True), **errors(400, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a webhook subscription",
        description="No more calls; queued ones fail. Needs leads.delete_webhookendpoint.",
        responses={204: OpenApiResponse(description="Deleted."), **errors(404)},
    ),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Webhook subscriptions: who is called, for which events."""

    queryset = WebhookEndpoint.objects.order_by("created_at", "id")
    serializer_class = WebhookEndpointSerializer
    permission_classes = [ModelPermissions]
    filter_backends = []
    pagination_class = ListPagination
    http_method_names = ["get", "post", "delete", "head", "options"]

    @extend_schema(
        summary="Subscribe to events",
        description="Calls to `url` for each named event, signed by the Standard Webhooks scheme "
        "with the `secret` in this answer, which is never shown again. `url` must be https:// "
        "and resolve to public addresses (unless WEBHOOK_ALLOW_PRIVATE_NETWORKS). "
        "Needs leads.add_webhookendpoint.",
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointCreatedSerializer, **errors(400)},
    )
    def create(self, request, *args, **kwargs):
        serializer = WebhookEndpointCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.create_webhook_endpoint(**serializer.validated_data, by=request.user)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.delete_webhook_endpoints(endpoints=WebhookEndpoint.objects.filter(pk=instance.pk))
