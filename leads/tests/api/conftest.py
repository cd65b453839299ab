import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test.testcases import LiveServerThread
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from leads.tests.factories import MINIMAL_PDF


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache; each test starts with none used."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def plain_static_files(settings):
    """Static URLs without collectstatic's manifest (production storage needs one)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def attorney_api_client(attorney):
    """The Attorneys group: view and change leads, but not add or delete."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=attorney)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def no_perms_client(staff_without_view):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=staff_without_view)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def pdf():
    return SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")


@pytest.fixture
def http_live_server(transactional_db, plain_static_files):
    """A live server whose middleware is built after the test settings (plain HTTP).

    pytest-django's session-wide `live_server` builds its middleware before the autouse
    settings fixture runs, so with DEBUG=false it redirects every request to HTTPS.
    """
    shared = {
        conn.alias: conn for conn in connections.all() if conn.vendor == "sqlite" and conn.is_in_memory_db()
    }
    for conn in shared.values():
        conn.inc_thread_sharing()
    thread = LiveServerThread("localhost", StaticFilesHandler, shared, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://localhost:{thread.port}"
    thread.terminate()
    for conn in shared.values():
        conn.dec_thread_sharing()
