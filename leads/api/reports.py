"""The reports: conversion per source, practice area or assignee. Request in, one selector
call, response out."""

from datetime import UTC

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors
from leads.models import Lead

from .permissions import ModelPermissions
from .serializers import VALIDATION_ERROR_SCHEMA, ErrorSerializer


class ConversionQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(
        choices=list(selectors.CONVERSION_GROUPS),
        default="source",
        help_text="Group by `source`, `practice_area` (its slug) or `assigned_to` (a username).",
    )
    created_after = serializers.DateTimeField(
        required=False, help_text="Leads submitted at or after (ISO 8601)."
    )
    created_before = serializers.DateTimeField(required=False, help_text="Leads submitted before (ISO 8601).")

    def validate(self, data):
        for name in ("created_after", "created_before"):
            if name in data:  # in UTC, as the lead list's filters (PostgreSQL refuses wide offsets)
                try:
                    data[name] = data[name].astimezone(UTC)
                except OverflowError:
                    raise serializers.ValidationError(
                        {name: ["Enter a time between the years 1 and 9999."]}
                    ) from None
        return data


class ConversionRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True, help_text="The source, practice area slug or username; null: none."
    )
    leads = serializers.IntegerField()
    open = serializers.IntegerField(help_text="PENDING or REACHED_OUT now.")
    reached_out = serializers.IntegerField(help_text="Reached out at least once.")
    retained = serializers.IntegerField()
    declined = serializers.IntegerField()
    referred = serializers.IntegerField()
    no_response = serializers.IntegerField()
    conversion_rate = serializers.FloatField(
        allow_null=True, help_text="Retained ÷ closed; null before any closed."
    )
    median_seconds_to_reach_out = serializers.FloatField(
        allow_null=True, help_text="Null before any reach-out; within 1.1% (see the description)."
    )
    median_seconds_to_close = serializers.FloatField(
        allow_null=True, help_text="Null before any closing; within 1.1% (see the description)."
    )


class ConversionReportView(APIView):
    """Which sources, practice areas and attorneys bring clients."""

    queryset = Lead.objects.all()  # for the model permissions: view_lead
    permission_classes = [ModelPermissions]

    @extend_schema(
        summary="Conversion report",
        description="Per source, practice area or assignee, over the leads submitted in the window "
        "(trashed leads never count): leads, open, reached out, each outcome, conversion rate "
        "(retained ÷ closed) and the median seconds to first reach-out and to closing. Biggest "
        "group first. Counts are exact and current at any size. A median is exact when every "
        "lead of the window is read live (created today, or on days not yet folded into the "
        "report's rollup); otherwise it is read from histograms of buckets 2^(1/32) wide and is "
        "within 1.1% of (1 + the exact median in seconds).",
        parameters=[ConversionQuerySerializer],
        responses={
            200: ConversionRowSerializer(many=True),
            400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="Invalid parameter."),
            401: OpenApiResponse(ErrorSerializer),
            403: OpenApiResponse(ErrorSerializer),
        },
    )
    def get(self, request):
        query = ConversionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.conversion(**query.validated_data)
        return Response(ConversionRowSerializer(rows, many=True).data)
