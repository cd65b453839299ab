"""Account endpoints of the API: who am I, and a token for a username and password (the
sign-in actions are accounts.services'; this is the API's face of them, beside its others)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import User

from .serializers import VALIDATION_ERROR_SCHEMA, ErrorSerializer
from .throttles import TokenRateThrottle


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
            403: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "With STAFF_2FA_REQUIRED, a staff user's token or session that did not pass "
                    "a second factor."
                ),
            ),
            429: OpenApiResponse(ErrorSerializer, description="Too many requests; see Retry-After."),
        },
    )
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="The 6-digit code from the user's authenticator app; required once they enrolled one.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The key: shown only now, stored only as a digest.")
    expiry = serializers.DateTimeField(allow_null=True, help_text="When it stops working (null: never).")


class ObtainTokenView(APIView):
    """A username, password and (once enrolled) authenticator code in, a new API token out."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenRateThrottle]

    @extend_schema(
        summary="Get an API token",
        description=(
            "Send it as `Authorization: Token <key>`. Each call issues a new token, valid for "
            "API_TOKEN_TTL_DAYS; the key is never shown again. A user who set up two-factor "
            "sign-in sends `otp` too. Rate-limited per client address; "
            "after too many failed sign-ins for a username from one address, that username is "
            "refused from there for a while (429)."
        ),
        auth=[],
        # One body type: generated clients cannot choose between several.
        request={"application/json": CredentialsSerializer},
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                VALIDATION_ERROR_SCHEMA,
                description=(
                    "A failed sign-in: one answer (`non_field_errors`) for a wrong password, an "
                    "unknown or inactive user and a missing or wrong otp, so a right password is "
                    "never told apart. A missing field is named; so is `otp` for staff who have "
                    "not set up two-factor sign-in while STAFF_2FA_REQUIRED."
                ),
            ),
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts; see Retry-After."),
        },
    )
    def post(self, request):
        serializer = CredentialsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The HttpRequest, not DRF's wrapper: axes marks it, and its middleware answers 429.
        token, key = services.obtain_token(request=request._request, **serializer.validated_data)
        return Response(TokenSerializer({"token": key, "expiry": token.expiry}).data)
