"""Who is asking: API tokens (one query with the user's permissions) and the session's user."""

import binascii
from hmac import compare_digest

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from rest_framework import exceptions

from .models import ApiToken, User
from .services import ISSUED_WITHOUT_SECOND_FACTOR


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <key>` checked against stored digests (django-rest-knox).

    Unlike knox's own, one query reads the token, its user, the user's permissions and
    whether the token passed a second factor, and nothing is written: expired tokens are
    refused, not deleted on the way, and never renewed. With STAFF_2FA_REQUIRED, a staff
    user's token that did not pass a second factor is refused (403, saying what to do).
    """

    def authenticate_credentials(self, key: bytes):
        try:
            key = key.decode()
            digest = hash_token(key)
        except (UnicodeError, TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        for token in ApiToken.objects.matching(key):
            if compare_digest(digest, token.digest):
                if token.is_expired:
                    raise exceptions.AuthenticationFailed("Token has expired.")
                token.user.remember_permissions(token.own_permission_names, token.group_permission_names)
                user, token = self.validate_user(token)
                if settings.STAFF_2FA_REQUIRED and user.is_staff and not token.passed_second_factor:
                    raise exceptions.PermissionDenied(ISSUED_WITHOUT_SECOND_FACTOR)
                return user, token
        raise exceptions.AuthenticationFailed("Invalid token.")


class TokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI schema: `Authorization: Token <key>`."""

    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        prefix = self.target.authenticate_header(None)  # "Token"
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix=prefix)


class PermissionBackend(ModelBackend):
    """Django's ModelBackend, but the session's user comes with their own and group
    permissions in the same query, instead of two more queries at the first check."""

    def get_user(self, user_id):
        user = User.objects.get_with_permissions(user_id)
        if user is None or not self.user_can_authenticate(user):
            return None
        return user.remember_permissions(user.own_permission_names, user.group_permission_names)
