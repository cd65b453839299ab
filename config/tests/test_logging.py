"""Request ids on responses and log lines; LOG_FORMAT switches between plain and JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A 404 makes Django log a warning ("Not Found: /missing/") inside the request.
SCRIPT = """
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.test import Client
Client().get("/missing/", headers={"X-Request-ID": "trace-1234abcd"})
"""


def run_request(log_format: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "sqlite://:memory:",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_FORMAT": log_format,
    }
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_a_response_carries_a_generated_request_id(client):
    response = client.get("/missing/")

    assert len(response["X-Request-ID"]) == 32


def test_two_requests_get_different_ids(client):
    assert client.get("/missing/")["X-Request-ID"] != client.get("/missing/")["X-Request-ID"]


def test_a_sane_incoming_request_id_is_kept(client):
    response = client.get("/missing/", headers={"X-Request-ID": "lb-7f3a9c12-0001"})

    assert response["X-Request-ID"] == "lb-7f3a9c12-0001"


@pytest.mark.parametrize("incoming", ["short", "has spaces in it", "x" * 200, "evil\\nline-injected"])
def test_an_odd_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/missing/", headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] != incoming
    assert len(response["X-Request-ID"]) == 32


def test_json_logs_are_one_object_per_line_with_the_request_id():
    result = run_request("json")

    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    not_found = [r for r in records if r["logger"] == "django.request"]
    assert not_found, result.stdout + result.stderr
    assert not_found[0]["request_id"] == "trace-1234abcd"
    assert not_found[0]["level"] == "WARNING"
    assert not_found[0]["message"] == "Not Found: /missing/"


def test_plain_logs_show_the_request_id_in_brackets():
    result = run_request("plain")

    assert "WARNING django.request [trace-1234abcd] Not Found: /missing/" in result.stdout


def test_an_unknown_log_format_is_refused_at_start():
    result = run_request("xml")

    assert result.returncode != 0
    assert "LOG_FORMAT must be plain or json" in result.stderr


# Issue 28: a development session (DEBUG on, as `make run` writes .env) printed every line
# twice, 400s as warnings, and a 403's traceback.
SESSION = """
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from accounts.models import User
client = Client()
client.post("/", {"first_name": ""}, headers={"X-Request-ID": "bad-form-0001"})
client.get("/missing/?q=ada@example.com", headers={"X-Request-ID": "not-found-0001"})
staff = User.objects.create_user("clerk", "clerk@firm.example", None, is_staff=True)
client.force_login(staff)
client.get("/admin/leads/lead/", headers={"X-Request-ID": "forbidden-0001"})
import logging
logging.getLogger("django.server").info('"%s" %s %s', "GET /admin/?q=ada@example.com HTTP/1.1", "200", "5")
"""


def run_session() -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": "sqlite://:memory:",
        "LOG_FORMAT": "plain",
    }
    return subprocess.run(
        [sys.executable, "-c", SESSION], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def session_log() -> str:
    result = run_session()
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def test_no_log_line_is_printed_twice_with_debug_on(session_log):
    lines = [line.split(" ", 2)[-1] for line in session_log.splitlines() if line.strip()]

    assert len(lines) == len(set(lines)), session_log
    assert "Not Found: /missing/" in session_log


def test_a_bad_form_is_logged_at_info_not_warning(session_log):
    assert "INFO django.request [bad-form-0001] Bad Request: /" in session_log
    assert "WARNING django.request [bad-form-0001]" not in session_log


def test_a_403_is_logged_without_a_traceback(session_log):
    assert "[forbidden-0001] Forbidden" in session_log
    assert "Traceback" not in session_log


def test_the_development_servers_lines_keep_no_query_string(session_log):
    assert '"GET /admin/ HTTP/1.1" 200 5' in session_log
    assert "ada@example.com" not in session_log
