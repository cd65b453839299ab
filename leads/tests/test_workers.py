"""Two `db_worker` processes at once never send an email twice (PostgreSQL's SKIP LOCKED).

Real worker processes against the test database, a real SMTP sink (aiosmtpd) counting
what arrives.
"""

import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tasks_db.models import DBTaskResult

from leads import services
from leads.tests.documents import MINIMAL_PDF

ROOT = Path(__file__).resolve().parents[2]
LEADS = 30
ATTORNEYS = "attorneys@example.com"

pytestmark = [
    pytest.mark.postgres_only(reason="row locking (SKIP LOCKED) is PostgreSQL's"),
]


class Sink:
    """Collects every recipient of every message it receives."""

    def __init__(self):
        self.recipients: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content)
        with self.lock:
            self.recipients.extend(envelope.rcpt_tos)
        assert message["Subject"]
        return "250 OK"


@pytest.fixture
def smtp():
    sink = Sink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


def start_worker(name: str, smtp_port: int, **settings: str) -> subprocess.Popen:
    """A `db_worker` process on the test database, sending to `smtp_port`; `settings` are
    more environment variables."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "ATTORNEY_NOTIFY_EMAILS": ATTORNEYS,
        **settings,
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--worker-id",
            name,
            "--interval",
            "0.1",
            "--no-startup-delay",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@contextmanager
def workers_running(names: tuple[str, ...], smtp_port: int, **settings: str) -> Iterator[None]:
    """`db_worker` processes named `names` (see start_worker) until the block ends."""
    workers = [start_worker(name, smtp_port, **settings) for name in names]
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)


def wait_until_all_tasks_finished(timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists():
        if time.monotonic() > deadline:
            pytest.fail("the workers did not finish the tasks in time")
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_two_workers_send_each_email_exactly_once(smtp):
    sink, port = smtp
    with workers_running(("worker-a", "worker-b"), port):
        emails = [f"prospect{n}@example.com" for n in range(LEADS)]
        for email in emails:
            resume = SimpleUploadedFile("cv.pdf", MINIMAL_PDF, content_type="application/pdf")
            services.submit_lead(first_name="Pat", last_name="Doe", email=email, resume=resume)

        wait_until_all_tasks_finished()

    received = Counter(sink.recipients)
    assert {email: received[email] for email in emails} == dict.fromkeys(emails, 1)
    assert received[ATTORNEYS] == LEADS
    assert not DBTaskResult.objects.filter(status="FAILED").exists()
    # Both workers took part: the race was real.
    ran_by = Counter(
        worker for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) for worker in ids
    )
    assert set(ran_by) == {"worker-a", "worker-b"}
    assert sum(ran_by.values()) == DBTaskResult.objects.count()
