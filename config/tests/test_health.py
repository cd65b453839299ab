import socket
import threading

import pytest
from django.db import connection, connections
from django.test import Client


def test_healthz_answers_ok_without_touching_the_database(client):
    # No django_db mark: pytest-django makes any database access here raise.
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_answers_ok_when_the_database_answers(client):
    response = client.get("/readyz/")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def closed_port() -> int:
    """A local port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable(settings_dict: dict) -> dict:
    """Connection settings that really fail: a closed port, or a file that cannot exist."""
    if connection.vendor == "postgresql":
        return {"HOST": "127.0.0.1", "PORT": str(closed_port())}
    return {"NAME": "/nonexistent-directory/db.sqlite3"}


@pytest.mark.django_db
def test_readyz_is_a_json_503_while_the_database_is_down_and_recovers_by_itself():
    # The test's own connection holds the test transaction, so the probes run in a thread
    # of their own, whose connection is built from the shared settings_dict: pointed at
    # nothing first, then back at the real database.
    settings_dict = connection.settings_dict
    saved = dict(settings_dict)
    answers = []

    def probe_twice():
        client = Client()
        try:
            settings_dict.update(unreachable(settings_dict))
            down = client.get("/readyz/")
            answers.append((down.status_code, down.json()))
            settings_dict.update(saved)
            up = client.get("/readyz/")
            answers.append((up.status_code, up.json()))
        finally:
            settings_dict.update(saved)
            connections.close_all()

    thread = threading.Thread(target=probe_twice)
    thread.start()
    thread.join(timeout=30)

    assert answers == [
        (503, {"status": "unavailable", "database": "unreachable"}),
        (200, {"status": "ok", "database": "ok"}),
    ]
