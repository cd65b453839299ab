"""The signed-in staff user's two-factor page in the admin."""

from base64 import b32encode

import segno
from django.contrib import admin, messages
from django.contrib.auth import update_session_auth_hash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login

from . import services
from .forms import CodeForm

SIGNED_OUT_ELSEWHERE = "Your other sessions were signed out and your API tokens revoked."


def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app (QR code, then a first code), confirm this session with a
    code, or remove the device to enrol again. Enrolling and removing end the user's other
    sessions and tokens (services.end_sign_ins); this session goes on."""
    user = request.user
    device = services.enrolment_device(user=user)
    verified = device.confirmed and user.is_verified()
    if request.method == "POST" and "remove" in request.POST:
        if verified:
            services.remove_devices(user=user)
            update_session_auth_hash(request, user)
            messages.success(
                request, f"Two-factor sign-in is off. {SIGNED_OUT_ELSEWHERE} Set it up again below."
            )
        return HttpResponseRedirect(request.get_full_path())
    form = CodeForm(request.POST if request.method == "POST" else None)
    wait = services.code_wait_seconds(device=device) if not verified and form.is_valid() else 0
    if wait:
        form.add_error("otp", services.CODE_WAIT.format(seconds=wait, s="" if wait == 1 else "s"))
    elif not verified and form.is_valid():
        enrolling = not device.confirmed
        confirmed = services.confirm_device(user=user, device=device, code=form.cleaned_data["otp"])
        if confirmed is not None:
            otp_login(request, confirmed)
            # A new session key for the session that now passed the second factor, with the
            # user's new hash when enrolling ended their other sessions.
            update_session_auth_hash(request, user)
            done = "Two-factor sign-in is on: you will be asked for a code each time."
            messages.success(request, f"{done} {SIGNED_OUT_ELSEWHERE}" if enrolling else done)
            return HttpResponseRedirect(next_url(request))
        form.add_error("otp", services.CODE_WRONG)
    context = {
        **admin.site.each_context(request),
        "title": "Two-factor sign-in",
        "device": device,
        "verified": verified,
        "form": form,
        "next": next_url(request),
    }
    if not device.confirmed:
        # Shown only until the first code confirms the device; the page is never cached.
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(
            scale=4, title="QR code for your authenticator app", svgclass="two-factor__qr"
        )
        secret = b32encode(device.bin_key).decode()
        context["secret"] = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return TemplateResponse(request, "admin/two_factor.html", context)


def next_url(request: HttpRequest) -> str:
    """Where to go once the code is confirmed: `next` if it is ours, else the admin's index."""
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("admin:index")
