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
