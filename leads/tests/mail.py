"""A real SMTP server for the tests (aiosmtpd on loopback) and a worker run in-process.

`SmtpSink` keeps every message it accepts; it can refuse chosen recipients with a 550 (a
permanent refusal) and hold the first connections at RCPT (a worker killed mid-send).
"""

import asyncio
import email
import email.policy
import io
import signal
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from django.core.management import call_command

from config.testing import free_port


class SmtpSink:
    """An aiosmtpd handler: accepts mail, refuses `refused` recipients with 550."""

    def __init__(self, *, refused: tuple[str, ...] = (), hold_first: int = 0):
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refused = {address.lower() for address in refused}
        self.rcpt_seen = threading.Event()
        self._hold = hold_first
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        self.rcpt_seen.set()
        with self._lock:
            hold, self._hold = self._hold > 0, max(self._hold - 1, 0)
        if hold:
            await asyncio.sleep(60)  # the client (a worker) is killed meanwhile
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [message for recipients, message in self.messages if address in recipients]


class SmtpServer:
    """An SmtpSink listening on a free loopback port until stop()."""

    def __init__(self, sink: SmtpSink | None = None, port: int | None = None):
        self.sink = sink or SmtpSink()
        self.port = port or free_port()
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def mailer(self) -> dict:
        """The MAILERS entry that sends to this server."""
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5},
            }
        }


def run_worker() -> str:
    """Run `manage.py db_worker --batch` until nothing is due, then restore the signals the
    worker took over; returns what it printed."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    out = io.StringIO()
    try:
        call_command(
            "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", stdout=out
        )
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    return out.getvalue()


def bodies(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies of a message."""
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )
