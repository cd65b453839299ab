"""gunicorn's access log, read from a real gunicorn: the path and status of each request,
never its query string (a search for a name or an address), which no erasure could remove."""

import os
import time
import urllib.request

import pytest

from config.testing import gunicorn


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("access-log")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "access-log-test-key-" + "x" * 40,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "SECURE_SSL_REDIRECT": "false",
    }
    log = open(folder / "log", "w+")  # noqa: SIM115
    try:
        with gunicorn(env, ready_path="/healthz/", output=log) as base:
            yield base, log
    finally:
        log.close()


def access_line(log, request_id: str) -> str:
    """The access line of the request with this id; gunicorn writes it just after the response."""
    deadline = time.monotonic() + 10
    while True:
        log.seek(0)
        lines = [line for line in log.read().splitlines() if f"request_id={request_id}" in line]
        if lines or time.monotonic() > deadline:
            assert lines, f"no access line for {request_id}"
            return lines[0]
        time.sleep(0.05)


def get(base: str, path: str, request_id: str) -> int:
    request = urllib.request.Request(base + path, headers={"X-Request-ID": request_id})
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status


def test_the_access_log_keeps_no_query_string(server):
    base, log = server

    get(base, "/healthz/?q=jane%40example.com&search=Jane+Doe", "no-query-check-0001")

    line = access_line(log, "no-query-check-0001")
    assert '"GET /healthz/ HTTP/1.1" 200' in line
    assert "jane" not in line.lower() and "?" not in line
