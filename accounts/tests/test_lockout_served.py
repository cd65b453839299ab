"""Sign-in lockout as a hostile client meets it: real gunicorn with two worker processes,
counting in the test database, requests over real sockets from 127.0.0.1."""

import http.client
import json
import os
import re
import secrets
import urllib.parse

import pytest
from axes.models import AccessAttempt
from django.db import connection

from accounts.tests.factories import AttorneyFactory, UserFactory
from config.testing import database_url, gunicorn
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN_URL = "/api/v1/auth/token/"
LOGIN_URL = "/admin/login/"


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "accounts.tests.served_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url(connection.settings_dict),
        "SECURE_SSL_REDIRECT": "false",
        # The token endpoint's own rate limit (per process without a shared cache) is not
        # the subject here: only the lockout may answer 429.
        "API_TOKEN_RATE": "1000/minute",
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
    }
    with gunicorn(env, ready_path="/healthz/", workers=2) as base:
        yield urllib.parse.urlsplit(base).netloc


def request(host: str, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    """One request on a fresh connection (so the two workers share them); no redirect followed."""
    conn = http.client.HTTPConnection(host, timeout=15)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        conn.close()


class AdminLogin:
    """The admin's sign-in form, with its CSRF cookie sent back by hand (it is Secure)."""

    def __init__(self, host: str):
        self.host = host
        _, headers, page = request(host, "GET", LOGIN_URL)
        self.cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
        self.token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def post(self, username: str, password: str):
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": self.token, "username": username, "password": password, "next": "/admin/"}
        ).encode()
        headers = {"Cookie": f"csrftoken={self.cookie}", "Content-Type": "application/x-www-form-urlencoded"}
        return request(self.host, "POST", LOGIN_URL, body, headers)


def token(host: str, username: str, password: str):
    body = json.dumps({"username": username, "password": password}).encode()
    return request(host, "POST", TOKEN_URL, body, {"Content-Type": "application/json"})


def test_sixth_wrong_password_at_the_admin_login_is_refused_with_429(server):
    attorney = AttorneyFactory()
    login = AdminLogin(server)
    for _ in range(5):
        status, _, page = login.post(attorney.username, "wrong-password")
        assert status == 200
        assert "Please enter the correct username and password" in page

    status, headers, page = login.post(attorney.username, "wrong-password")

    assert status == 429
    assert 0 < int(headers["Retry-After"]) <= 15 * 60
    assert "<h1>Too many failed sign-ins</h1>" in page


def test_after_five_failures_the_right_password_is_refused_at_the_admin_login_too(server):
    attorney = AttorneyFactory()
    login = AdminLogin(server)
    for _ in range(5):
        login.post(attorney.username, "wrong-password")

    status, _, _ = login.post(attorney.username, PASSWORD)

    assert status == 429


def test_sixth_wrong_password_at_the_token_endpoint_is_refused_with_429_json(server):
    user = UserFactory()
    for _ in range(5):
        assert token(server, user.username, "wrong-password")[0] == 400

    status, headers, body = token(server, user.username, "wrong-password")

    assert status == 429
    assert 0 < int(headers["Retry-After"]) <= 15 * 60
    assert headers["Content-Type"] == "application/json"
    assert "Too many failed sign-ins" in json.loads(body)["detail"]


def test_after_five_failures_the_right_password_gets_no_token_either(server):
    user = UserFactory()
    for _ in range(5):
        token(server, user.username, "wrong-password")

    assert token(server, user.username, PASSWORD)[0] == 429


def test_failures_at_the_admin_and_the_token_endpoint_count_together(server):
    attorney = AttorneyFactory()
    login = AdminLogin(server)
    for _ in range(3):
        login.post(attorney.username, "wrong-password")
    for _ in range(2):
        token(server, attorney.username, "wrong-password")

    assert token(server, attorney.username, PASSWORD)[0] == 429
    assert login.post(attorney.username, PASSWORD)[0] == 429


def test_a_different_username_from_the_same_address_is_not_locked(server):
    locked, other = AttorneyFactory(), AttorneyFactory()
    login = AdminLogin(server)
    for _ in range(6):
        login.post(locked.username, "wrong-password")

    status, headers, _ = login.post(other.username, PASSWORD)

    assert status == 302
    assert headers["Location"] == "/admin/"
    assert token(server, other.username, PASSWORD)[0] == 200


def test_after_a_superuser_clears_the_lockout_the_right_password_works(server, admin_client):
    attorney = AttorneyFactory()
    login = AdminLogin(server)
    for _ in range(6):
        login.post(attorney.username, "wrong-password")
    attempt = AccessAttempt.objects.get(username=attorney.username)

    cleared = admin_client.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )

    assert cleared.status_code == 302
    assert not AccessAttempt.objects.exists()
    status, headers, _ = login.post(attorney.username, PASSWORD)
    assert status == 302
    assert headers["Location"] == "/admin/"
