"""Logging to stdout with the request id on every record; plain or JSON lines (LOG_FORMAT)."""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

# The id of the request being served in this thread/task, "-" outside a request.
# Set by config.middleware.RequestIdMiddleware.
request_id: ContextVar[str] = ContextVar("request_id", default="-")

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` (the current request's id, or "-")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class ClientErrorFilter(logging.Filter):
    """A client's mistake is not the server's warning: a 400 (a form with an error, a bad
    query) is logged at INFO, and no 4xx carries a traceback (a 403 used to print 25 lines).
    runserver's access lines (django.server) lose their query string, as gunicorn's do: a
    search for a name or an address must not reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.name in {"django.request", "django.server"} and status is not None and status < 500:
            record.exc_info, record.exc_text = None, None
            if status == 400 and record.levelno == logging.WARNING:
                record.levelno, record.levelname = logging.INFO, "INFO"
        if record.name == "django.server" and record.args and isinstance(record.args[0], str):
            record.args = (_without_query(record.args[0]), *record.args[1:])
        return True


def _without_query(request_line: str) -> str:
    """'GET /admin/?q=ada HTTP/1.1' -> 'GET /admin/ HTTP/1.1'."""
    method, _, rest = request_line.partition(" ")
    target, _, version = rest.partition(" ")
    return f"{method} {target.split('?', 1)[0]} {version}".strip()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, and exc_info."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", request_id.get()),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, log_format: str, level: str, sql: bool) -> dict:
    """The LOGGING dict: everything to stdout through one handler."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": "config.logging.RequestIdFilter"},
            "client_errors": {"()": "config.logging.ClientErrorFilter"},
        },
        "formatters": {
            "plain": {"format": PLAIN_FORMAT},
            "json": {"()": "config.logging.JsonFormatter"},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "filters": ["request_id", "client_errors"],
                "formatter": log_format,
            },
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {
                "handlers": ["console"],
                "level": "DEBUG" if sql else "INFO",
                "propagate": False,
            },
            # django-axes says at INFO what it does on every sign-in; its warnings (a failed
            # sign-in, a lockout, with username and address masked) are what operators need.
            "axes": {"level": "WARNING"},
            # Django's own handlers go (its DEFAULT_LOGGING printed every django.* line a second
            # time to stderr under DEBUG, and runserver's in another format): one handler, ours.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        },
    }
