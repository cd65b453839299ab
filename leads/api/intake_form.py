"""`GET /api/v1/intake-form/`: the active practice areas and questions, for a firm's own site
to render the form (anonymous, read-only; nothing in it is about a prospect)."""

from django.utils import translation
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import selectors
from web.language import requested_language

from .serializers import IntakeFormSerializer


class IntakeFormView(APIView):
    """The intake form's practice areas and questions in the requested language."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        summary="The intake form's practice areas and questions",
        parameters=[
            OpenApiParameter(
                "language",
                str,
                description="A language code (e.g. `es`); default: the request's Accept-Language. "
                "Texts not translated come in the firm's default language.",
            )
        ],
        responses={200: IntakeFormSerializer},
    )
    def get(self, request):
        with translation.override(requested_language(request)):
            return Response(IntakeFormSerializer(selectors.intake_form()).data)
