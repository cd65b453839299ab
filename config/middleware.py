"""Project middleware: request ids, and 503 instead of a traceback while the database is down."""

import re
import uuid

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse

from .faults import UNAVAILABLE_ERRORS, service_unavailable
from .logging import request_id

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept when it looks like one (a proxy's or a client's); anything else
# (too long, spaces, control characters) is replaced, so it cannot forge log lines.
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


class RequestIdMiddleware:
    """Gives each request an id: `request.request_id`, the X-Request-ID response header, every log record."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request.request_id = incoming if SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # Kept until the response is finished, not just until this returns: Django logs
        # 4xx/5xx responses after the middleware chain, and those lines need the id too.
        request_id.set(request.request_id)
        response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


def forget_request_id(**kwargs) -> None:
    request_id.set("-")


request_finished.connect(forget_request_id, dispatch_uid="config.middleware.forget_request_id")


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database (or the limiter's store) answers 503 (HTML, or JSON under /api/).

    Last in MIDDLEWARE so its process_exception is asked first; errors raised outside
    views (in other middleware) reach handler500, which answers the same way.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, UNAVAILABLE_ERRORS):
            return service_unavailable(request, exception)
        return None
