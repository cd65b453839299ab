"""Shared fixtures: test-only settings and the users every part of the product is tried with."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts import services
from accounts.tests.factories import AttorneyFactory, UserFactory

PASSWORD = "correct-horse-battery"


def pytest_collection_modifyitems(items):
    """Skip the tests marked `postgres_only` when the default database is not PostgreSQL: the
    one place that decides it; the marker's `reason=` says what the other database lacks."""
    from django.db import connections

    vendor = connections["default"].vendor
    if vendor == "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("postgres_only")
        if marker is not None:
            why = marker.kwargs.get("reason")
            reason = f"needs PostgreSQL, the default database is {vendor}" + (f": {why}" if why else "")
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a database file, as the product does, not the in-memory database
    pytest-django defaults to: its shared-cache table locks fail concurrent writers at
    once ("database table is locked") where a file in WAL mode queues them."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session", autouse=True)
def _plain_http_live_server():
    """The live server (session-wide) builds its middleware once, before any per-test
    settings apply; its SecurityMiddleware must not send plain-HTTP tests to https://."""
    from django.test import override_settings

    with override_settings(SECURE_SSL_REDIRECT=False):
        yield


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    # Rate-limit counters live in the cache; every test starts with none.
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Production defaults redirect to HTTPS and send cookies over HTTPS only; the test
    # client and the live server speak plain HTTP. The deploy check is tested separately.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    # Without DEBUG, {% static %} needs collectstatic's manifest; tests read the sources.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Speed to lead's daily digest would go out in any test whose worker runs after the
    # day's opening; its own tests (leads/tests/test_speed_to_lead.py) switch it on.
    settings.DIGEST_ENABLED = False


@pytest.fixture
def attorney(db):
    """A staff user in the Attorneys group: view and change leads."""
    return AttorneyFactory()


@pytest.fixture
def staff_without_view(db):
    """A staff user with no lead permission at all."""
    return UserFactory(is_staff=True)


@pytest.fixture
def attorney_client(client, attorney):
    client.force_login(attorney)
    return client


@pytest.fixture
def integration(db):
    """An API user with every lead permission, and its token."""
    from django.contrib.auth.models import Permission

    user = UserFactory(username="integration")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="leads",
            codename__in=["view_lead", "add_lead", "change_lead", "delete_lead"],
        )
    )
    return user


@pytest.fixture
def api_client():
    return APIClient()


def token_client(user) -> APIClient:
    """An API client that authenticates with `user`'s token, as an integration does."""
    client = APIClient()
    _, key = services.issue_token(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def integration_client(integration):
    return token_client(integration)


BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "test-artifacts"


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright. Under CI=true a missing browser fails, never skips."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; CI must run the browser tests")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are still synchronous, so Django's async-safety guard does not apply.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        browser.close()


@contextmanager
def browser_page(chromium, name: str, **options) -> Iterator:
    """A fresh browser page (context `options`, e.g. java_script_enabled=False); its
    screenshot is saved to test-artifacts/<name>.png at the end."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(chromium, request):
    """A fresh browser page; its screenshot is saved to test-artifacts/ at the end."""
    with browser_page(chromium, request.node.name) as page:
        yield page
