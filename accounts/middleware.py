"""STAFF_2FA_REQUIRED: staff sessions without a second factor reach only the enrolment page."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from web.responses import is_api

from .services import SESSION_WITHOUT_SECOND_FACTOR


class SecondFactorRequiredMiddleware:
    """With STAFF_2FA_REQUIRED, a staff session that did not pass a second factor is sent from
    any admin page to the enrolment page (logout stays open), and the API answers it 403.

    After OTPMiddleware, which says whether the session passed one (`user.is_verified()`: the
    session holds the device that accepted a code). Checked on every request, so a session
    signed in before the setting was turned on is held to it too. API tokens are checked by
    accounts.authentication.TokenAuthentication.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.STAFF_2FA_REQUIRED and self.is_guarded(request) and self.must_enrol(request.user):
            if is_api(request):
                return JsonResponse({"detail": SESSION_WITHOUT_SECOND_FACTOR}, status=403)
            return redirect_to_login(request.get_full_path(), reverse("accounts:two_factor"))
        return self.get_response(request)

    @staticmethod
    def is_guarded(request: HttpRequest) -> bool:
        # Checked before request.user, so other pages never load the session's user for this.
        open_paths = {reverse("accounts:two_factor"), reverse("admin:logout")}
        admin_path = request.path.startswith(reverse("admin:index"))
        return (admin_path or is_api(request)) and request.path not in open_paths

    @staticmethod
    def must_enrol(user) -> bool:
        return user.is_authenticated and user.is_staff and not user.is_verified()
