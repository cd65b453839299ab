"""Counting failed sign-ins (django-axes, in the database) and answering a locked-out client.

Both sign-in paths (the admin's login form and POST /api/v1/auth/token/) authenticate
through axes' backend, which refuses a (username, address) past LOGIN_FAILURE_LIMIT; a wrong
second factor counts as a failure too (services.verify_second_factor).
"""

import ipaddress
import math
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.contrib import admin
from django.db.models import Max
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.timesince import timeuntil

from web.clientip import client_address
from web.responses import is_api, too_many_requests


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as axes stores it (AXES_CLIENT_IP_CALLABLE): client_address, the one
    definition the rate limits share, with an IPv6 /64 as its first address and none as None,
    since axes' column holds single addresses."""
    try:
        return str(ipaddress.ip_network(client_address(request), strict=False).network_address)
    except ValueError:
        return None


class FailureCountingHandler(AxesDatabaseHandler):
    """Axes' database handler, except that the failure reaching the limit is answered as a
    failure: only the attempts after it are refused (the 6th with the default of 5)."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        # axes' backend sets axes_locked_out before this runs when it refused the attempt.
        refused = request is not None and request.axes_locked_out
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not refused:
            request.axes_locked_out = False

    def seconds_until_unlocked(self, request: HttpRequest, credentials: dict | None) -> int:
        """How long this (username, address) stays locked: the window after its last failure."""
        latest = [
            attempts.aggregate(latest=Max("attempt_time"))["latest"]
            for attempts in self.get_user_attempts(request, credentials)
        ]
        last_failure = max((moment for moment in latest if moment is not None), default=timezone.now())
        remaining = last_failure + get_cool_off(request) - timezone.now()
        return max(1, math.ceil(remaining.total_seconds()))


def lockout_response(request: HttpRequest, original_response, credentials: dict | None) -> HttpResponse:
    """A refused sign-in: 429 with Retry-After; JSON under /api/, else a page in the admin's style."""
    retry_after = AxesProxyHandler.get_implementation().seconds_until_unlocked(request, credentials)
    if is_api(request):
        wait = timeuntil(timezone.now() + timedelta(seconds=retry_after))
        response = JsonResponse(
            {"detail": f"Too many failed sign-ins for this username from your address. Try again in {wait}."},
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        return response
    context = {**admin.site.each_context(request), "title": "Too many failed sign-ins"}
    return too_many_requests(request, retry_after, template="admin/locked_out.html", context=context)
