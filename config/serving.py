"""What the web server checks before it serves a request (imported by wsgi.py and asgi.py,
so both gunicorn and runserver stop at start-up instead of failing the first request)."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MISSING_KEY_MESSAGE = (
    "SECRET_KEY must be set to serve with DEBUG off: put it in the environment or .env "
    "(`make run` writes a development .env; see .env.example)."
)


def ensure_ready_to_serve() -> None:
    """Refuse to start without a SECRET_KEY (sessions, CSRF and tokens are signed with it)."""
    try:
        settings.SECRET_KEY  # noqa: B018 (Django raises on an empty key when it is read)
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(MISSING_KEY_MESSAGE) from exc
