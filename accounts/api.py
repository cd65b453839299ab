"""Account endpoints of the API: who am I, and a token for a username and password."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.api.serializers import VALIDATION_ERROR_SCHEMA, ErrorSerializer
from leads.api.throttles import TokenRateThrottle

from .models import User


class UserSerializer(serializers.ModelSerializer):
    permissions = serializers.SerializerMethodField(help_text="Permissions, e.g. leads.add_lead.")

    class Meta:
        model = User
        fields = ["id", "username", "email", "full_name", "is_staff", "date_joined", "permissions"]
        read_only_fields = fields

    def get_permissions(self, user: User) -> list[str]:
        return sorted(user.get_all_permissions())


class MeView(APIView):
    """The authenticated caller."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The caller",
        responses={
            200: UserSerializer,
            401: OpenApiResponse(ErrorSerializer, description="No or invalid credentials."),
            429: OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After."),
        },
    )
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class ObtainTokenView(ObtainAuthToken):
    """A username and password in, the user's token out; inactive users are refused."""

    authentication_classes = []
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        summary="Get an API token",
        description="Send it as `Authorization: Token <key>`. Rate-limited per client address.",
        auth=[],
        request={"application/json": AuthTokenSerializer},
        responses={
            200: inline_serializer("Token", {"token": serializers.CharField()}),
            400: OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="Wrong credentials or inactive user."),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts; see Retry-After."),
        },
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
