"""Which pages other sites may frame: INTAKE_FRAME_ANCESTORS, checked at start-up, and the
CSRF cookie a form in another site's frame needs (the view decorator that lets exactly the
intake pages be framed is leads.intake.framing's).

Every other page keeps X-Frame-Options: DENY and CSP `frame-ancestors 'none'`.
"""

import re
from http.cookies import Morsel

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# scheme://host[:port] and nothing else: no path, query, user or wildcard.
ORIGIN = re.compile(r"^(?P<scheme>https?)://(?P<host>[a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?$")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


def parse_frame_ancestors(origins: list[str], *, allow_local_http: bool) -> list[str]:
    """The origins, lower-cased; anything but https://host[:port] raises ImproperlyConfigured
    (http://localhost, 127.0.0.1 or [::1] only with `allow_local_http`, i.e. DEBUG)."""
    parsed = []
    for origin in (o.strip().lower() for o in origins if o.strip()):
        match = ORIGIN.match(origin)
        local_http = match and match["scheme"] == "http" and match["host"] in LOCAL_HOSTS
        if not match or (match["scheme"] == "http" and not (local_http and allow_local_http)):
            raise ImproperlyConfigured(
                f"INTAKE_FRAME_ANCESTORS: {origin!r} is not an origin like https://www.firm.example "
                "(https, a host name, an optional port, no path; http://localhost only with DEBUG)."
            )
        parsed.append(origin)
    return parsed


class PartitionedMorsel(Morsel):
    """A cookie with the Partitioned attribute (CHIPS), which http.cookies has from Python 3.14."""

    def OutputString(self, attrs=None) -> str:
        return f"{super().OutputString(attrs)}; Partitioned"


class PartitionedCsrfCookieMiddleware:
    """With INTAKE_FRAME_ANCESTORS, the CSRF cookie is Partitioned: browsers that block
    third-party cookies still keep it for the form in the firm's frame (in a jar of that
    site's own), so the framed form's POST carries it. Sits above CsrfViewMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        name = settings.CSRF_COOKIE_NAME
        if settings.INTAKE_FRAME_ANCESTORS and name in response.cookies:
            cookie = response.cookies[name]
            partitioned = PartitionedMorsel()
            partitioned.set(cookie.key, cookie.value, cookie.coded_value)
            partitioned.update(cookie)
            response.cookies[name] = partitioned
        return response
