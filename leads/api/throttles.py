"""The API's throttles, counted by the project's rate limiter (leads/intake/ratelimit.py): shared by
every process, one store round trip per throttle and request, no history lists in a cache.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] by scope (API_ANON_RATE,
API_USER_RATE, API_TOKEN_RATE); past one, DRF answers 429 with Retry-After.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from leads.intake import ratelimit
from web.clientip import client_address


class LimiterThrottle(BaseThrottle):
    """One attempt per request on the key `ident()` names; None: this throttle does not apply."""

    scope: str

    def ident(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request)
        if ident is None:
            return True
        verdict = ratelimit.hit_key(
            f"api-{self.scope}:{ident}", api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        )
        self.retry_after = verdict.retry_after
        return verdict.allowed

    def wait(self) -> int:
        return self.retry_after


class AnonRateThrottle(LimiterThrottle):
    """Unauthenticated requests, per client address (API_ANON_RATE)."""

    scope = "anon"

    def ident(self, request) -> str | None:
        return None if request.user.is_authenticated else client_address(request)


class UserRateThrottle(LimiterThrottle):
    """Authenticated requests, per user whatever the address (API_USER_RATE)."""

    scope = "user"

    def ident(self, request) -> str | None:
        return str(request.user.pk) if request.user.is_authenticated else None


class TokenRateThrottle(LimiterThrottle):
    """Attempts per client address on the token endpoint (API_TOKEN_RATE): slows guessing."""

    scope = "token"

    def ident(self, request) -> str | None:
        return client_address(request)
