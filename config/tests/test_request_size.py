"""Bodies over RESUME_MAX_BYTES + 64 KiB are refused with 413 before they are read, by a
real gunicorn: declared ones from their headers alone, undeclared (chunked) ones as soon as
they pass the limit; a chunked body within the limit is read like any other."""

import os
import re
import secrets
import socket
from urllib.parse import urlsplit

import pytest
import requests
from django.db import connection

from config.middleware import body_limit
from config.testing import ROOT, database_url, gunicorn
from leads.models import Lead
from leads.tests.documents import minimal_pdf

FIFTY_MIB = 50 * 1024 * 1024


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock():
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.tests.fault_settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database_url(connection.settings_dict),
            "SECURE_SSL_REDIRECT": "false",
            "MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
        }
    with gunicorn(env, ready_path="/healthz/", workers=2) as base:
        yield base


def open_request(base: str, path: str, headers: dict[str, str]) -> socket.socket:
    """A socket on which a POST's request line and headers have been sent, and no body."""
    url = urlsplit(base)
    sock = socket.create_connection((url.hostname, url.port), timeout=5)
    lines = [f"POST {path} HTTP/1.1", f"Host: {url.hostname}", *(f"{k}: {v}" for k, v in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def read_response(sock: socket.socket, *, within: float) -> tuple[int, str]:
    """The status and body of the response, which must start arriving within `within` seconds."""
    sock.settimeout(within)
    data = b""
    while chunk := sock.recv(65536):  # socket.timeout (the test fails) if the server is silent
        data += chunk
        sock.settimeout(5)
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode()


MULTIPART = {"Content-Type": "multipart/form-data; boundary=x", "Connection": "close"}


def test_a_declared_50_mib_form_upload_is_answered_413_within_a_second_of_its_headers(server):
    sock = open_request(server, "/", {**MULTIPART, "Content-Length": str(FIFTY_MIB)})

    status, body = read_response(sock, within=1.0)

    assert status == 413
    assert "Upload too large" in body and "at most 10.0\xa0MB" in body


def test_a_declared_50_mib_api_upload_is_answered_413_json_within_a_second_of_its_headers(server):
    headers = {**MULTIPART, "Content-Length": str(FIFTY_MIB), "Authorization": "Token x"}
    sock = open_request(server, "/api/v1/leads/", headers)

    status, body = read_response(sock, within=1.0)

    assert status == 413
    assert '{"resume": ["The request is too large: a resume may be at most 10.0\\u00a0MB."]}' in body


def test_a_chunked_body_is_cut_off_with_413_once_it_passes_the_limit(server):
    sock = open_request(server, "/", {**MULTIPART, "Transfer-Encoding": "chunked"})
    sent, piece = 0, b"%" * 65536
    while sent <= body_limit():  # the server stops reading here; the chunked body never ends
        sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        sent += len(piece)

    status, body = read_response(sock, within=5.0)

    assert status == 413 and "Upload too large" in body


@pytest.mark.django_db(transaction=True)
def test_a_chunked_form_post_within_the_limit_is_read_and_saved(server):
    with requests.Session() as session:
        token = session.get(server + "/", timeout=10).cookies["csrftoken"]
        fields = {
            "csrfmiddlewaretoken": token,
            "first_name": "Jane",
            "last_name": "Doe",
            "email": "j@example.com",
        }
        prepared = requests.Request(
            "POST", server + "/", data=fields, files={"resume": ("cv.pdf", minimal_pdf(), "application/pdf")}
        ).prepare()
        body, content_type = prepared.body, prepared.headers["Content-Type"]
        response = session.post(
            server + "/",
            data=(body[i : i + 1000] for i in range(0, len(body), 1000)),  # a generator: sent chunked
            headers={"Content-Type": content_type, "Cookie": f"csrftoken={token}"},
            allow_redirects=False,
            timeout=10,
        )

    assert response.status_code == 303
    assert Lead.objects.filter(email="j@example.com").exists()


def test_the_deployment_guides_nginx_limit_matches_the_apps(settings):
    settings.RESUME_MAX_BYTES = 10 * 1024 * 1024  # the default the guide is written for
    guide = (ROOT / "docs" / "deploy.md").read_text()

    (kib,) = re.findall(r"client_max_body_size (\d+)k;", guide)

    assert int(kib) * 1024 == body_limit()
