"""Security headers on every page, HTTPS-only cookies and HSTS, and a clean deploy check."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from leads.checks import check_shared_cache

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["/admin/login/", "/no-such-page/", "/api/v1/"]


@pytest.fixture
def production(settings):
    """The settings as DEBUG=False ships them (the root conftest relaxes them for plain HTTP)."""
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_SSL_REDIRECT = True
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_csp_referrer_policy_frame_and_nosniff_headers(client, path):
    response = client.get(path, secure=True)

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_https_responses_carry_hsts_for_a_year_with_subdomains(client, production):
    response = client.get("/admin/login/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https(client, production):
    response = client.get("/admin/login/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/admin/login/"


@pytest.mark.django_db
def test_cookies_are_secure_and_the_session_cookie_is_http_only(client, production, attorney):
    from conftest import PASSWORD

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": attorney.username, "password": PASSWORD},
        secure=True,
    )

    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True
    assert response.cookies["csrftoken"]["secure"] is True


def production_env(tmp_path, **overrides) -> dict:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "intake.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
        "CACHE_URL": "redis://127.0.0.1:6379/5",
        **overrides,
    }


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def deploy_check(env: dict) -> subprocess.CompletedProcess:
    """`check --deploy --fail-level WARNING`, as a fresh process."""
    return manage(env, "check", "--deploy", "--fail-level", "WARNING")


def test_the_deploy_check_reports_nothing_with_production_settings(tmp_path):
    env = production_env(tmp_path)
    manage(env, "migrate", "--no-input", "-v", "0").check_returncode()
    manage(
        env, "create_attorney", "alice", "alice@firm.example", "--password", "a-long-passphrase-1"
    ).check_returncode()

    result = deploy_check(env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_warns_when_nobody_would_be_notified_of_new_leads(tmp_path):
    env = production_env(tmp_path)
    manage(env, "migrate", "--no-input", "-v", "0").check_returncode()

    result = deploy_check(env)

    assert result.returncode == 1
    assert "leads.W011" in result.stderr and "Nobody receives new-lead notifications" in result.stderr


def test_the_deploy_check_fails_when_emails_would_only_be_printed(tmp_path):
    result = deploy_check(production_env(tmp_path, EMAIL_URL="", ATTORNEY_NOTIFY_EMAILS="desk@firm.example"))

    assert result.returncode == 1
    assert "mail.E001" in result.stderr


def test_the_deploy_check_reports_nothing_on_the_smallest_production_set_up(tmp_path):
    # PostgreSQL, a mail server, no Redis (no CACHE_URL): what the contract calls the smallest
    # set-up. `check` without --database reads the settings and never connects.
    env = production_env(
        tmp_path,
        DATABASE_URL="postgres://leads:secret@127.0.0.1:5432/leads",
        CACHE_URL="",
        ATTORNEY_NOTIFY_EMAILS="desk@firm.example",
    )
    del env["CACHE_URL"]

    result = deploy_check(env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_warns_when_the_shared_cache_is_per_process(settings):
    settings.DEBUG = False
    locmem = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    settings.CACHES = {**settings.CACHES, "shared": locmem}

    [warning] = check_shared_cache()

    assert warning.id == "leads.W001" and "per process" in warning.msg
