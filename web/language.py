"""The prospect's language: which of INTAKE_LANGUAGES a public page speaks.

Chosen, in this order, by the switcher's `?lang=` (kept for the visit in a cookie), that
cookie, the browser's Accept-Language, else the first of INTAKE_LANGUAGES. The attorneys'
side (/admin/, /api/) always speaks LANGUAGE_CODE, whatever the browser asks for; the API's
public intake-form endpoint picks its language itself (`language_from_header`).
"""

from http.cookies import Morsel

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

# The switcher's query parameter; a link, so it works without JavaScript.
LANGUAGE_PARAMETER = "lang"
# The attorneys' side: always LANGUAGE_CODE.
STAFF_PREFIXES = ("/admin/", "/api/")


def default_language() -> str:
    """What a prospect whose browser asks for none of INTAKE_LANGUAGES gets."""
    return settings.INTAKE_LANGUAGES[0]


def language_names() -> dict[str, str]:
    """Each intake language's name in itself ("Español"), for the switcher and the admin."""
    names = dict(settings.LANGUAGES)
    return {code: names[code] for code in settings.INTAKE_LANGUAGES}


def offered(code: str | None) -> str | None:
    """`code` ("es", "es-MX", "ES") as one of INTAKE_LANGUAGES, or None."""
    code = (code or "").strip().lower()
    for candidate in (code, code.split("-")[0]):
        if candidate in settings.INTAKE_LANGUAGES:
            return candidate
    return None


def language_from_header(accept_language: str) -> str:
    """The intake language an Accept-Language header prefers most, else the default."""
    for code, _ in translation.trans_real.parse_accept_lang_header(accept_language or ""):
        if code != "*" and (language := offered(code)):
            return language
    return default_language()


def prospect_language(request: HttpRequest) -> tuple[str, bool]:
    """The page's language, and whether the visitor chose it just now (the switcher)."""
    if language := offered(request.GET.get(LANGUAGE_PARAMETER)):
        return language, True
    if language := offered(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)):
        return language, False
    return language_from_header(request.headers.get("Accept-Language", "")), False


def is_staff_path(path: str) -> bool:
    return path.startswith(STAFF_PREFIXES)


class PartitionedMorsel(Morsel):
    """A cookie with the Partitioned attribute (CHIPS), which http.cookies has from Python 3.14."""

    def OutputString(self, attrs=None) -> str:
        return f"{super().OutputString(attrs)}; Partitioned"


class ProspectLanguageMiddleware:
    """Activates the prospect's language for a public page (LANGUAGE_CODE for /admin/ and
    /api/), says so in Content-Language, and keeps a switcher's choice in a cookie that
    lasts for the visit (a session cookie, no tracking)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_staff_path(request.path):
            with translation.override(settings.LANGUAGE_CODE):
                return self.get_response(request)
        language, chosen = prospect_language(request)
        request.LANGUAGE_CODE = language
        with translation.override(language):
            response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        if chosen:
            remember(response, language)
        return response


def remember(response: HttpResponse, language: str) -> None:
    """The switcher's choice for the rest of the visit: a session cookie, like the CSRF one
    (Secure unless DEBUG; SameSite=None and Partitioned when a firm's site frames the form, so
    the choice holds in its frame too)."""
    framed = bool(settings.INTAKE_FRAME_ANCESTORS)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        secure=settings.CSRF_COOKIE_SECURE or framed,
        httponly=True,
        samesite="None" if framed else "Lax",
    )
    if framed:
        cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
        partitioned = PartitionedMorsel()
        partitioned.set(cookie.key, cookie.value, cookie.coded_value)
        partitioned.update(cookie)
        response.cookies[settings.LANGUAGE_COOKIE_NAME] = partitioned


def requested_language(request: HttpRequest) -> str:
    """The language an anonymous API read asks for (GET /api/v1/intake-form/): `?language=`
    when it is an intake language, else the best of Accept-Language, else the default. The
    view answers within `translation.override(requested_language(request))`, through
    leads.translations.translated, since /api/ otherwise speaks LANGUAGE_CODE."""
    return offered(request.GET.get("language")) or language_from_header(
        request.headers.get("Accept-Language", "")
    )
