"""What an attempt at a delivery reports, and when a failed one is tried again: the bottom of
the worker, so the channels (emails, webhooks) and the deliveries that call them share it
without importing each other, as healthchecks keeps TransportError in its transports' base."""

from dataclasses import dataclass
from datetime import timedelta


class DeliveryFailed(Exception):
    """An attempt failed. `permanent`: trying again cannot help (the recipient was refused)."""

    def __init__(self, message: str, *, permanent: bool = False, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.status_code = status_code


@dataclass(frozen=True)
class Sent:
    """What a sender reports of an attempt that did not fail: the answer's status code, or
    `printed`: the email was only written to the log (the console mailer, DEBUG), not sent."""

    status_code: int | None
    printed: bool = False


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: int
    max_seconds: int

    def delay(self, attempt: int) -> timedelta:
        """How long to wait after failed attempt number `attempt` (1-based)."""
        return timedelta(seconds=min(self.base_seconds * 2 ** (attempt - 1), self.max_seconds))
