"""STAFF_2FA_REQUIRED turned on by restarting the web server: sessions and API tokens obtained
before, without a second factor, stop working for staff. Real gunicorn, over real sockets: one
server as the deployment ran with the setting off, one started with it on, over the same
database and SECRET_KEY, as a restart (or a rolling one) leaves them."""

import http.client
import json
import os
import re
import secrets
import urllib.parse

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from accounts import services
from accounts.tests.factories import AttorneyFactory, UserFactory
from config.testing import database_url, gunicorn
from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def servers(django_db_setup, tmp_path_factory):
    """(before, after): the host of a server with STAFF_2FA_REQUIRED off and of one with it on."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "accounts.tests.served_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url(connection.settings_dict),
        "SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
    }
    with (
        gunicorn({**env, "STAFF_2FA_REQUIRED": "false"}, ready_path="/healthz/") as before,
        gunicorn({**env, "STAFF_2FA_REQUIRED": "true"}, ready_path="/healthz/") as after,
    ):
        yield urllib.parse.urlsplit(before).netloc, urllib.parse.urlsplit(after).netloc


def request(host: str, method: str, path: str, *, body: bytes = b"", headers: dict | None = None):
    """(status, headers as an email.message.Message, body) of one request; no redirect followed."""
    conn = http.client.HTTPConnection(host, timeout=15)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.msg, response.read().decode()
    finally:
        conn.close()


def cookie(headers, name: str) -> str:
    """The value of cookie `name` set by a response (by hand: the cookies are Secure)."""
    for header in headers.get_all("Set-Cookie") or []:
        if match := re.match(rf"{name}=([^;]+)", header):
            return match.group(1)
    raise AssertionError(f"no {name} cookie set")


def admin_session(host: str, username: str) -> str:
    """The session cookie of a sign-in with a password at the admin's form."""
    _, headers, page = request(host, "GET", "/admin/login/")
    csrf = cookie(headers, "csrftoken")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": "/admin/"}
    status, headers, _ = request(
        host,
        "POST",
        "/admin/login/",
        body=urllib.parse.urlencode(form).encode(),
        headers={"Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 302
    return f"sessionid={cookie(headers, 'sessionid')}"


def api_token(host: str, username: str) -> str:
    """A key from the token endpoint for a password alone."""
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    status, _, answer = request(
        host, "POST", "/api/v1/auth/token/", body=body, headers={"Content-Type": "application/json"}
    )
    assert status == 200
    return json.loads(answer)["token"]


def get(host: str, path: str, **headers):
    return request(host, "GET", path, headers=headers)


def test_after_a_restart_with_2fa_required_a_staff_session_from_before_is_sent_to_enrolment(servers):
    before, after = servers
    session = admin_session(before, AttorneyFactory().username)
    assert get(before, "/admin/leads/lead/", Cookie=session)[0] == 200

    status, headers, _ = get(after, "/admin/leads/lead/", Cookie=session)

    assert status == 302
    assert headers["Location"] == "/admin/account/two-factor/?next=/admin/leads/lead/"


def test_after_a_restart_with_2fa_required_a_staff_session_from_before_gets_403_from_the_api(servers):
    before, after = servers
    session = admin_session(before, AttorneyFactory().username)
    assert get(before, "/api/v1/leads/", Cookie=session)[0] == 200

    status, _, body = get(after, "/api/v1/leads/", Cookie=session)

    assert status == 403
    assert json.loads(body) == {"detail": services.SESSION_WITHOUT_SECOND_FACTOR}


def test_after_a_restart_with_2fa_required_a_staff_token_from_before_gets_403(servers):
    before, after = servers
    key = api_token(before, AttorneyFactory().username)
    assert get(before, "/api/v1/leads/", Authorization=f"Token {key}")[0] == 200

    status, _, body = get(after, "/api/v1/leads/", Authorization=f"Token {key}")

    assert status == 403
    assert json.loads(body) == {"detail": services.ISSUED_WITHOUT_SECOND_FACTOR}


def test_after_a_restart_with_2fa_required_an_integrations_token_from_before_still_works(servers):
    before, after = servers
    integration = UserFactory()
    integration.user_permissions.set(Permission.objects.filter(codename="view_lead"))
    key = api_token(before, integration.username)

    assert get(after, "/api/v1/leads/", Authorization=f"Token {key}")[0] == 200
