"""Error pages: JSON under /api/, the HTML pages (or Django's minimal ones) elsewhere."""

import sys

from django.http import JsonResponse
from django.views import defaults

from web.responses import UNAVAILABLE_ERRORS, service_unavailable
from web.responses import is_api as _is_api


def bad_request(request, exception):
    # Under /api/ a 400 has the documented shape of every 400 there: {field: [messages]}.
    if _is_api(request):
        return JsonResponse({"non_field_errors": ["Bad request."]}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    # A database outage outside a view (e.g. saving the session) is a 503, not a bug.
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE_ERRORS):
        return service_unavailable(request, exc)
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
