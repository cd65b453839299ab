"""INTAKE_FRAME_ANCESTORS: the firm's own site may show the form (and only the form) in a frame."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from config.framing import parse_frame_ancestors
from config.testing import ROOT
from leads.tests.factories import MINIMAL_PDF

pytestmark = pytest.mark.django_db

FIRM = "https://www.firm.example"


@pytest.fixture
def embedded(settings):
    """INTAKE_FRAME_ANCESTORS set, with the CSRF cookie config/settings.py then derives."""
    settings.INTAKE_FRAME_ANCESTORS = [FIRM, "https://firm.example:8443"]
    settings.CSRF_COOKIE_SAMESITE = "None"
    settings.CSRF_COOKIE_SECURE = True
    return settings


def frame_ancestors(response) -> str:
    [directive] = [
        part.strip()
        for part in response["Content-Security-Policy"].split(";")
        if part.strip().startswith("frame-ancestors")
    ]
    return directive


def application(**overrides) -> dict:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.com",
        "resume": SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf"),
        **overrides,
    }


@pytest.mark.parametrize("path", ["/", "/thanks/"])
def test_intake_pages_may_be_framed_by_the_configured_origins_only(client, embedded, path):
    response = client.get(path)

    assert frame_ancestors(response) == f"frame-ancestors {FIRM} https://firm.example:8443"
    assert "X-Frame-Options" not in response


def test_framable_pages_keep_the_rest_of_the_policy(client, embedded):
    csp = client.get("/")["Content-Security-Policy"]

    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "form-action 'self'" in csp


@pytest.mark.parametrize("path", ["/admin/login/", "/api/v1/schema/", "/no-such-page/"])
def test_every_other_page_still_refuses_framing(client, embedded, path):
    response = client.get(path)

    assert frame_ancestors(response) == "frame-ancestors 'none'"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/", "/thanks/"])
def test_without_the_setting_the_intake_pages_refuse_framing(client, path):
    response = client.get(path)

    assert frame_ancestors(response) == "frame-ancestors 'none'"
    assert response["X-Frame-Options"] == "DENY"


def test_the_form_with_errors_may_be_framed(client, embedded):
    response = client.post("/", application(email="not-an-email"))

    assert response.status_code == 400
    assert frame_ancestors(response).startswith(f"frame-ancestors {FIRM}")
    assert "X-Frame-Options" not in response


def test_the_redirect_after_a_submission_may_be_framed(client, embedded):
    response = client.post("/", application())

    assert response.status_code == 303 and response["Location"] == "/thanks/"
    assert frame_ancestors(response).startswith(f"frame-ancestors {FIRM}")


def test_the_too_many_attempts_page_may_be_framed(client, embedded):
    embedded.INTAKE_RATE = "1/minute"
    client.post("/", application())

    response = client.post("/", application(email="again@example.com"))

    assert response.status_code == 429
    assert frame_ancestors(response).startswith(f"frame-ancestors {FIRM}")
    assert "X-Frame-Options" not in response


def test_a_refused_csrf_token_on_the_form_gives_a_framable_page_opening_the_form_in_the_window(embedded):
    response = Client(enforce_csrf_checks=True).post("/", application())

    assert response.status_code == 403
    assert frame_ancestors(response).startswith(f"frame-ancestors {FIRM}")
    assert "X-Frame-Options" not in response
    assert 'href="/" target="_top"' in response.content.decode()


def test_a_refused_csrf_token_elsewhere_still_refuses_framing(embedded):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert response["X-Frame-Options"] == "DENY"


def test_the_csrf_cookie_goes_along_in_a_cross_site_frame_and_survives_third_party_blocking(client, embedded):
    response = client.get("/")

    header = response.cookies["csrftoken"].OutputString()
    assert "SameSite=None" in header and "Secure" in header
    assert header.endswith("; Partitioned")


def test_without_the_setting_the_csrf_cookie_is_lax_and_not_partitioned(client):
    header = client.get("/").cookies["csrftoken"].OutputString()

    assert "SameSite=Lax" in header and "Partitioned" not in header


def test_a_form_sent_without_its_cookie_is_told_that_cookies_are_needed():
    response = Client(enforce_csrf_checks=True).post("/", application())

    assert response.status_code == 403
    assert "your browser is blocking cookies from this site" in response.content.decode()


# --- the setting itself ----------------------------------------------------------------


def test_origins_are_read_in_lower_case_with_an_optional_port():
    origins = parse_frame_ancestors(
        [" https://WWW.Firm.example ", "https://firm.example:8443", "https://[2001:db8::1]"],
        allow_local_http=False,
    )

    assert origins == ["https://www.firm.example", "https://firm.example:8443", "https://[2001:db8::1]"]


@pytest.mark.parametrize(
    "origin",
    [
        "http://www.firm.example",
        "https://www.firm.example/",
        "https://www.firm.example/contact",
        "https://*.firm.example",
        "https://user@firm.example",
        "*",
        "'self'",
        "www.firm.example",
        "https://firm.example?x=1",
        "http://localhost:8000",
    ],
)
def test_anything_but_an_https_origin_is_refused(origin):
    with pytest.raises(ImproperlyConfigured, match="INTAKE_FRAME_ANCESTORS"):
        parse_frame_ancestors([origin], allow_local_http=False)


@pytest.mark.parametrize("origin", ["http://localhost:8000", "http://127.0.0.1:3000", "http://[::1]:8080"])
def test_local_http_origins_are_allowed_with_debug(origin):
    assert parse_frame_ancestors([origin], allow_local_http=True) == [origin]


def test_http_origins_other_than_this_machine_are_refused_even_with_debug():
    with pytest.raises(ImproperlyConfigured):
        parse_frame_ancestors(["http://firm.example"], allow_local_http=True)


def settings_value(env: dict, expression: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DEBUG": "false", "SECRET_KEY": "x", **env}
    code = f"import django; django.setup(); from django.conf import settings; print(repr(({expression})))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bad_origin_stops_the_start_up_with_its_name():
    result = settings_value({"INTAKE_FRAME_ANCESTORS": "https://firm.example/apply"}, "1")

    assert result.returncode != 0
    assert "INTAKE_FRAME_ANCESTORS: 'https://firm.example/apply' is not an origin" in result.stderr


def test_with_origins_the_csrf_cookie_is_same_site_none_and_secure():
    result = settings_value(
        {"INTAKE_FRAME_ANCESTORS": "https://www.firm.example"},
        "settings.INTAKE_FRAME_ANCESTORS, settings.CSRF_COOKIE_SAMESITE, settings.CSRF_COOKIE_SECURE",
    )

    assert result.stdout.strip() == "(['https://www.firm.example'], 'None', True)", result.stderr


def test_without_origins_the_csrf_cookie_stays_same_site_lax():
    result = settings_value({}, "settings.INTAKE_FRAME_ANCESTORS, settings.CSRF_COOKIE_SAMESITE")

    assert result.stdout.strip() == "([], 'Lax')", result.stderr
