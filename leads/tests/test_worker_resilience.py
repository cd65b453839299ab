"""The worker survives what production does to it: a database restart, a SIGKILL mid-send.

Real `manage.py db_worker` processes, a real SMTP server (aiosmtpd) and, for the outage, a
throwaway PostgreSQL cluster of the test's own that is stopped for 6 seconds and started again.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from config.testing import PG_BIN, ROOT, ThrowawayCluster
from leads.models import Delivery
from leads.tests.factories import MINIMAL_PDF
from leads.tests.mail import SmtpServer, SmtpSink

DESK = "desk@firm.example"


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def environment(database_url: str, smtp: SmtpServer, tmp_path: Path, **extra: str) -> dict:
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
        "DATABASE_URL": database_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "ATTORNEY_NOTIFY_EMAILS": DESK,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_FORMAT": "plain",
        **extra,
    }


def start_worker(env: dict, name: str, log: Path) -> subprocess.Popen:
    command = [
        "manage.py",
        "db_worker",
        "--worker-id",
        name,
        "--interval",
        "0.1",
        "--no-startup-delay",
        "--no-reload",
    ]
    return subprocess.Popen(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def submit(env: dict, email: str) -> None:
    """Submit a lead the way an integration would, from a process of its own."""
    code = (
        "from django.core.files.uploadedfile import SimpleUploadedFile\n"
        "from leads import services\n"
        f"services.submit_lead(first_name='Pat', last_name='Doe', email={email!r},\n"
        f"    resume=SimpleUploadedFile('cv.pdf', {MINIMAL_PDF!r}))\n"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, timeout=120
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def sent_deliveries(cluster: ThrowawayCluster) -> int:
    """Deliveries the worker recorded as sent, read straight from the throwaway cluster."""
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM leads_delivery WHERE status = 'sent'").fetchone()[0]


def test_the_worker_lives_through_a_database_restart_and_delivers_what_was_queued(tmp_path):
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"{PG_BIN}/initdb is missing: install postgresql-15")
    cluster = ThrowawayCluster()
    smtp = SmtpServer().start()
    worker = None
    try:
        cluster.start()
        env = environment(cluster.url, smtp, tmp_path, DB_CONN_MAX_AGE="60", TASK_STALE_SECONDS="5")
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        log = tmp_path / "worker.log"
        worker = start_worker(env, "survivor", log)
        submit(env, "before@example.com")
        wait_for(lambda: sent_deliveries(cluster) == 2, timeout=120, what="the first lead's two emails")

        submit(env, "during@example.com")  # queued as the database goes away
        cluster.stop()
        time.sleep(6)  # the outage itself: six seconds without PostgreSQL
        assert worker.poll() is None, log.read_text()
        cluster.start()
        submit(env, "after@example.com")

        wait_for(lambda: sent_deliveries(cluster) == 6, timeout=120, what="the emails of all three leads")
        assert worker.poll() is None
        lines = log.read_text().splitlines()
        assert sum("Database unavailable" in line for line in lines) == 1, "\n".join(lines)
        assert any("Database reachable again" in line for line in lines)
    finally:
        if worker is not None:
            stop(worker)
        smtp.stop()
        cluster.remove()

    for prospect in ("before@example.com", "during@example.com", "after@example.com"):
        assert len(smtp.sink.to(prospect)) == 1
    assert len(smtp.sink.to(DESK)) == 3


@pytest.mark.django_db(transaction=True)
def test_an_email_whose_worker_was_killed_mid_send_is_sent_once_by_another_worker(tmp_path):
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        url = f"sqlite:///{db['NAME']}"
    sink = SmtpSink(hold_first=1)  # the first connection stops at RCPT: the send is under way
    smtp = SmtpServer(sink).start()
    env = environment(url, smtp, tmp_path, TASK_STALE_SECONDS="3")
    first = second = None
    try:
        first = start_worker(env, "killed", tmp_path / "killed.log")
        submit(env, "jane@example.com")
        wait_for(sink.rcpt_seen.is_set, timeout=120, what="the first worker to start sending")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)

        second = start_worker(env, "rescuer", tmp_path / "rescuer.log")
        wait_for(
            lambda: Delivery.objects.with_status(Delivery.Status.SENT).count() == 2,
            timeout=120,
            what="the other worker to send both emails",
        )
        # Nothing left that could send again: every task has finished.
        wait_for(
            lambda: not DBTaskResult.objects.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists(),
            timeout=30,
            what="every task to finish",
        )
    finally:
        for process in (first, second):
            if process is not None:
                stop(process)
        smtp.stop()

    received = Counter(address for recipients, _ in sink.messages for address in recipients)
    assert received == {"jane@example.com": 1, DESK: 1}
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 2
