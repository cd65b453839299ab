"""With the database down, pages answer 503 (HTML, JSON under /api/) and recover by themselves.

A throwaway PostgreSQL cluster (initdb + pg_ctl in a temporary directory, never the
machine's main server) and gunicorn with the production settings: the cluster is stopped,
then started again, between real HTTP requests.
"""

import json
import os
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from config.testing import PG_BIN, ThrowawayCluster, gunicorn


@pytest.fixture(scope="module")
def cluster():
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"{PG_BIN}/initdb is missing: install postgresql-15")
    cluster = ThrowawayCluster()
    cluster.start()
    yield cluster
    cluster.remove()


@pytest.fixture(scope="module")
def server(cluster, tmp_path_factory):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.tests.fault_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": cluster.url,
        "DB_CONN_MAX_AGE": "60",
        "SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
    }
    log = open(tmp_path_factory.mktemp("gunicorn") / "log", "w+")  # noqa: SIM115
    try:
        with gunicorn(env, ready_path="/probe/", output=log) as base:
            yield base, log
    except RuntimeError:
        log.seek(0)
        pytest.fail("gunicorn did not start:\n" + log.read())
    finally:
        log.close()


def get(url: str) -> tuple[int, dict, str]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def database_down(cluster, server):
    base, _ = server
    assert get(base + "/probe/")[0] == 200  # a persistent connection is open before the outage
    cluster.stop()
    yield
    cluster.start()


def test_a_page_answers_503_html_while_the_database_is_down(server, database_down):
    status, headers, body = get(server[0] + "/probe/")

    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert "Temporarily unavailable" in body
    assert "Traceback" not in body
    assert headers["Retry-After"] == "30"


def test_the_503_page_keeps_the_security_headers(server, database_down):
    _, headers, _ = get(server[0] + "/probe/")

    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"


def test_the_api_answers_503_json_while_the_database_is_down(server, database_down):
    status, headers, body = get(server[0] + "/api/v1/probe/")

    assert status == 503
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"detail": "The service is temporarily unavailable. Please try again shortly."}


def test_the_app_recovers_by_itself_when_the_database_returns(cluster, server):
    base, _ = server
    assert get(base + "/probe/")[0] == 200
    cluster.stop()
    assert get(base + "/probe/")[0] == 503

    cluster.start()

    status, _, body = get(base + "/probe/")
    assert status == 200, body
    assert get(base + "/api/v1/probe/")[0] == 200


def test_the_outage_is_logged_with_its_request_id_and_no_traceback(server, database_down):
    base, log = server
    request = urllib.request.Request(base + "/probe/", headers={"X-Request-ID": "outage-check-0001"})
    try:
        urllib.request.urlopen(request, timeout=15)
    except urllib.error.HTTPError as error:
        assert error.code == 503

    # gunicorn writes its access line just after sending the response: wait for it.
    deadline = time.monotonic() + 10
    while True:
        log.seek(0)
        output = log.read()
        lines = [line for line in output.splitlines() if "outage-check-0001" in line]
        if any(" 503 " in line for line in lines) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert any("Database unavailable: GET /probe/" in line for line in lines)
    assert any('"GET /probe/ HTTP/1.1" 503' in line for line in lines), output  # the access line
    assert "Traceback" not in output


def test_the_admin_login_answers_503_while_the_database_is_down(server, database_down):
    # The login page itself needs no database; checking the password does. (The CSRF
    # cookie is Secure in production, so it is sent back by hand over this plain HTTP.)
    with urllib.request.urlopen(server[0] + "/admin/login/", timeout=15) as page:
        cookie = re.search(r"csrftoken=([^;]+)", page.headers["Set-Cookie"]).group(1)
        form = page.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "alice", "password": "secret-password"}
    ).encode()
    request = urllib.request.Request(
        server[0] + "/admin/login/", data=data, headers={"Cookie": f"csrftoken={cookie}"}
    )

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=15)

    assert answer.value.code == 503
    assert "Temporarily unavailable" in answer.value.read().decode()
