"""A real webhook receiver for the tests: an HTTP(S) server on loopback that keeps every call
and answers as told (a status per call, holding the answer back, dripping it, a redirect)."""

import ssl
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook

from config.testing import free_port

HOLD_LIMIT_SECONDS = 30  # a held answer is given up by then, whatever the test did


@dataclass(frozen=True)
class Call:
    path: str
    headers: dict[str, str]
    body: bytes

    def verified(self, secret: str) -> dict:
        """The body, parsed, once the standardwebhooks library accepts its signature."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """Answers each call with the next of `answers` (then 204); `hold` keeps answers back
    until release(); `drip` sends the answer one byte at a time until release()."""

    def __init__(
        self,
        *,
        answers: tuple[int, ...] = (),
        hold: bool = False,
        drip: bool = False,
        location: str = "",
        tls: ssl.SSLContext | None = None,
    ):
        self.calls: list[Call] = []
        self.answers = deque(answers)
        self.hold, self.drip, self.location = hold, drip, location
        self.released = threading.Event()
        self.received = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.base = f"{scheme}://{'localhost' if tls else '127.0.0.1'}:{self.server.server_port}"
        self.url = self.base + "/hooks/leads?source=intake"

    def __enter__(self) -> "Receiver":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def release(self) -> None:
        self.released.set()

    def next_answer(self) -> int:
        with self._lock:
            return self.answers.popleft() if self.answers else 204

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.calls.append(Call(self.path, dict(self.headers.items()), body))
                receiver.received.set()
                if receiver.hold:
                    receiver.released.wait(HOLD_LIMIT_SECONDS)
                status = receiver.next_answer()
                answer = f"HTTP/1.1 {status} Answer\r\nContent-Length: 0\r\nConnection: close\r\n"
                if receiver.location:
                    answer += f"Location: {receiver.location}\r\n"
                answer = (answer + "\r\n").encode()
                if receiver.drip:
                    # One byte every tenth of a second, never the whole answer in time.
                    for byte in answer:
                        if receiver.released.wait(0.1):
                            return
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:  # the caller gave up: what the test wants to see
                            return
                    return
                self.wfile.write(answer)

            def log_message(self, format, *args):
                pass

        return Handler
