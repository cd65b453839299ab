"""The lead endpoints: request in, one service call, response out."""

from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from leads import services
from leads.downloads import resume_response
from leads.models import Lead
from leads.validators import CONTENT_TYPES

from .filters import LeadFilter
from .pagination import LeadPagination
from .permissions import ChangePermission, ModelPermissions
from .serializers import (
    VALIDATION_ERROR_SCHEMA,
    ErrorSerializer,
    LeadCreateSerializer,
    LeadSerializer,
    LeadStatsSerializer,
    LeadUpdateSerializer,
)


def errors(*codes: int) -> dict:
    """Documented error responses: 400 as {field: [messages]}, the rest as {detail}."""
    described = {
        400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="Invalid input, per field."),
        401: OpenApiResponse(ErrorSerializer, description="No or invalid credentials."),
        403: OpenApiResponse(ErrorSerializer, description="Missing the model permission."),
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
        description="Newest first unless `ordering` says otherwise. `count` is exact up to "
        "10,000 matching leads; above that, on PostgreSQL, it is the database's estimate.",
        responses={200: LeadSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="Get a lead",
        description="An unknown or malformed id is a 404.",
        responses={200: LeadSerializer, **errors(404)},
    ),
    destroy=extend_schema(
        summary="Delete a lead",
        description="Deletes the lead, its status history and its resume file.",
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

    queryset = Lead.objects.select_related("reached_out_by")
    serializer_class = LeadSerializer
    permission_classes = [ModelPermissions]
    filter_backends = [DjangoFilterBackend]
    filterset_class = LeadFilter
    pagination_class = LeadPagination
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
        lead = services.submit_lead(**serializer.validated_data)
        location = request.build_absolute_uri(reverse("api:lead-detail", args=[lead.pk]))
        return Response(self._render(lead), status=status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(
        summary="Change a lead",
        description="Names, email and `status`. Moving to REACHED_OUT records the first reach-out "
        "time and the caller; every status change is kept in the lead's history.",
        request=LeadUpdateSerializer,
        responses={200: LeadSerializer, **errors(400, 404)},
        examples=[OpenApiExample("Reach out", value={"status": "REACHED_OUT"}, request_only=True)],
    )
    def partial_update(self, request, *args, **kwargs):
        lead = self.get_object()
        serializer = LeadUpdateSerializer(lead, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        lead = services.update_lead(lead=lead, by=request.user, **serializer.validated_data)
        return Response(self._render(lead))

    def perform_destroy(self, instance):
        services.delete_leads(leads=Lead.objects.filter(pk=instance.pk))

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
        summary="Download a lead's resume",
        description="The stored file as an attachment, typed by its kind (PDF, DOC or DOCX).",
        responses={
            **{
                (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="The resume.")
                for content_type in CONTENT_TYPES.values()
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
        return resume_response(self.get_object())

    @extend_schema(
        summary="Lead statistics",
        description="Leads per status, the median time to first reach-out, and PENDING leads "
        "older than 48 hours, over all leads. Above 10,000 leads the figures may be up to "
        "LEAD_STATS_CACHE_SECONDS (default 60) old.",
        responses={200: LeadStatsSerializer, **errors()},
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def stats(self, request):
        return Response(LeadStatsSerializer(Lead.objects.stats()).data)

    def _render(self, lead: Lead) -> dict:
        return LeadSerializer(lead, context=self.get_serializer_context()).data
