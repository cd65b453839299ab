"""The answers both apps give alike: 503 while the database (or another service a request
needs, such as the rate limiter's store) is down, HTML for pages and JSON under /api/; and 429
when a client must wait.

The 503 template is standalone (no base.html), so it renders when the rest of the site cannot.
"""

import logging
from datetime import timedelta

from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils import timezone, translation
from django.utils.translation import gettext

logger = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    """A service other than the database cannot answer (e.g. the rate limiter's Redis): 503."""

    service = "A service"


UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, ServiceUnavailable)
RETRY_AFTER_SECONDS = 30
FALLBACK_HTML = (
    "<!doctype html><html lang={language}><meta charset=utf-8><title>{title}</title>"
    "<h1>{title}</h1><p>{text}</p></html>"
)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def service_unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 with Retry-After; broken connections are dropped so the next request connects afresh."""
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    service = exc.service if isinstance(exc, ServiceUnavailable) else "Database"
    logger.error("%s unavailable: %s %s: %s", service, request.method, request.path, reason)
    if not isinstance(exc, ServiceUnavailable) or isinstance(exc.__cause__, DatabaseError):
        for conn in connections.all(initialized_only=True):
            conn.close_if_unusable_or_obsolete()
    if is_api(request):
        response = JsonResponse(
            {"detail": "The service is temporarily unavailable. Please try again shortly."}, status=503
        )
    else:
        response = page(
            request,
            "503.html",
            503,
            # The prospect's language on the public pages (web.language), LANGUAGE_CODE elsewhere.
            title=gettext("Temporarily unavailable"),
            text=gettext("We cannot take requests right now. Please try again in a few minutes."),
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def page(request: HttpRequest, template: str, status: int, *, title: str, text: str) -> HttpResponse:
    """The error template, or a built-in line of HTML if even that cannot be rendered."""
    try:
        html = loader.render_to_string(template, {"css_url": stylesheet(), "title": title, "text": text})
    except Exception:  # the error page must not fail in turn; the cause is logged
        logger.exception("Could not render %s", template)
        html = FALLBACK_HTML.format(language=translation.get_language(), title=title, text=text)
    return HttpResponse(html, status=status)


def stylesheet() -> str:
    """The site's stylesheet URL, or "" when it is not collected (no manifest entry)."""
    try:
        return static("css/site.css")
    except ValueError:
        return ""


def too_many_requests(
    request: HttpRequest, retry_after: int, *, template: str = "429.html", context: dict | None = None
) -> HttpResponse:
    """429 with a page (and a Retry-After header) saying when to try again."""
    context = {
        **(context or {}),
        "retry_after": retry_after,
        "retry_at": timezone.now() + timedelta(seconds=retry_after),
    }
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response
