"""Project middleware: request ids, 413 for oversized bodies before they are read, and 503
instead of a traceback while the database (or the rate limiter's store) is down."""

import re
import tempfile
import uuid

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat

from web.responses import UNAVAILABLE_ERRORS, is_api, service_unavailable

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


# Room for the form's other fields and the multipart framing around the resume.
ENVELOPE_BYTES = 64 * 1024
CHUNK_BYTES = 64 * 1024


def body_limit() -> int:
    """The largest request body accepted: RESUME_MAX_BYTES + 64 KiB."""
    return settings.RESUME_MAX_BYTES + ENVELOPE_BYTES


class RequestSizeLimitMiddleware:
    """413 for a body over body_limit() before any of it is read.

    A declared body (Content-Length) is judged from the header alone. An undeclared one
    (Transfer-Encoding: chunked), which Django would otherwise not read at all, is read
    here up to the limit into a spooled file and handed on with its length, or refused as
    soon as it passes the limit. Nothing before this in MIDDLEWARE reads the body: only
    views and CsrfViewMiddleware.process_view do, and they run after every __call__.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit()
        declared = request.META.get("CONTENT_LENGTH", "")
        if declared.isdigit() and int(declared) > limit:
            return body_too_large(request)
        if not declared and "HTTP_TRANSFER_ENCODING" in request.META and "wsgi.input" in request.META:
            with tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE) as body:
                size = copy_at_most(request.META["wsgi.input"], body, limit)
                if size is None:
                    return body_too_large(request)
                # WSGIRequest took its stream's length at construction: hand it the copy.
                request._stream = LimitedStream(body, size)
                request.META["CONTENT_LENGTH"] = str(size)
                return self.get_response(request)
        return self.get_response(request)


def copy_at_most(source, target, limit: int) -> int | None:
    """Copy `source` to `target` and return the size, or None once it passes `limit` bytes."""
    size = 0
    while chunk := source.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            return None
        target.write(chunk)
    target.seek(0)
    return size


def body_too_large(request: HttpRequest) -> HttpResponse:
    """413 naming the limit: a page for the form, {"resume": [...]} under /api/."""
    limit = filesizeformat(settings.RESUME_MAX_BYTES)
    if is_api(request):
        message = f"The request is too large: a resume may be at most {limit}."
        return JsonResponse({"resume": [message]}, status=413)
    return render(request, "413.html", {"limit": limit}, status=413)


class DatabaseUnavailableMiddleware:
    """A view that cannot reach the database or the limiter's store answers 503 (HTML; JSON under /api/).

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
