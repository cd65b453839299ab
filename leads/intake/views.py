"""The prospect's pages: the intake form at / and the confirmation at /thanks/."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_http_methods, require_safe

from leads import services
from web.clientip import client_address
from web.responses import too_many_requests

from . import ratelimit
from .forms import IntakeForm
from .framing import framable_by_intake_origins

logger = logging.getLogger(__name__)


@framable_by_intake_origins
@require_http_methods(["GET", "HEAD", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """GET: the form (source and referrer noted); POST: a lead, or the form with errors."""
    if request.method != "POST":
        initial = IntakeForm.initial_from(query=request.GET, referer=request.headers.get("Referer", ""))
        initial["language"] = translation.get_language()  # the page's (web.language)
        return render_form(request, IntakeForm(initial=initial))

    # The attempt is counted first, in its own commit, before anything it sent is read or
    # checked: a submission counts whether or not its check finishes, and no database
    # transaction stays open while a file is checked (SQLite has one writer at a time). The
    # lead and its task then commit together in submit_lead.
    verdict = ratelimit.hit("intake", request, settings.INTAKE_RATE)
    if not verdict.allowed:
        return too_many_requests(request, verdict.retry_after)
    # Answered in the language the form was shown in (its hidden field), whatever the
    # cookie or the browser says now: a framed form's cookie may not come back.
    with translation.override(IntakeForm.language_of(request.POST)):
        return submitted(request)


def submitted(request: HttpRequest) -> HttpResponse:
    """A POST past the rate limit: a lead (or a trapped submission) and a 303, or the form with errors."""
    form = IntakeForm(request.POST, request.FILES)
    if form.is_honeypot_filled():
        # Answered as a real submission is; kept for attorneys, since autofill can land a
        # real prospect here.
        trapped = services.trap_submission(client_address=client_address(request), **form.typed())
        logger.info("Intake honeypot filled; kept as trapped submission %s.", trapped.pk)
        return see_other(reverse("leads:thanks"))
    if form.is_valid():
        try:
            # A known address is recorded as a resubmission by the worker: the answer is
            # the same 303 either way, so nobody learns from it whether an address applied.
            services.submit_lead(**form.cleaned_data, resubmit_duplicates=True)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return see_other(reverse("leads:thanks"))
    form.focus_first_error()
    return render_form(request, form, status=400)


def render_form(request: HttpRequest, form: IntakeForm, status: int = 200) -> HttpResponse:
    """The intake page with `form`, and the link to the firm's privacy notice if it has one."""
    context = {"form": form, "privacy_notice_url": settings.PRIVACY_NOTICE_URL}
    return render(request, "leads/intake.html", context, status=status)


@framable_by_intake_origins
@require_safe
def thanks(request: HttpRequest) -> HttpResponse:
    """The confirmation page after a submission."""
    return render(request, "leads/thanks.html")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """403 when the CSRF check fails, saying when the cookie was missing; framable like the
    form when it answers the form's POST (a browser that withheld the framed form's cookie)."""
    if request.path == reverse("leads:intake"):
        return framable_by_intake_origins(csrf_failure_page)(request, reason)
    return csrf_failure_page(request, reason)


def csrf_failure_page(request: HttpRequest, reason: str) -> HttpResponse:
    # Django's own view renders a project's 403_csrf.html without its context.
    return render(request, "403_csrf.html", {"no_cookie": reason == REASON_NO_CSRF_COOKIE}, status=403)


def see_other(url: str) -> HttpResponseRedirect:
    """303: after a POST, the browser GETs the next page (no resubmission on reload)."""
    return HttpResponseRedirect(url, status=303)
