"""System checks, registered in LeadsConfig.ready(): a rate that does not parse, mail that
would reach nobody and a shared cache each process keeps for itself (`check --deploy`), a
privacy notice link that would not work.

Django's own mail.E001 already fails a deployment whose mailer only prints emails.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError

from accounts.models import User
from leads.intake.ratelimit import parse_rate


def check_someone_is_notified(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Someone must receive the new-lead notifications."""
    if settings.ATTORNEY_NOTIFY_EMAILS:
        return []
    try:
        anyone = User.objects.attorneys().exclude(email="").exists()
    except DatabaseError:
        anyone = False  # not migrated yet: nobody can be in the group
    if anyone:
        return []
    return [
        checks.Warning(
            "Nobody receives new-lead notifications: no active member of the Attorneys group has "
            "an email address and ATTORNEY_NOTIFY_EMAILS is empty. Each notification is recorded "
            "as a failed delivery.",
            hint="Run `manage.py create_attorney USERNAME EMAIL`, or set ATTORNEY_NOTIFY_EMAILS.",
            id="leads.W011",
        )
    ]


def check_privacy_notice_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """PRIVACY_NOTICE_URL, when set, must be an http(s) URL: the form links to it."""
    if not settings.PRIVACY_NOTICE_URL:
        return []
    try:
        URLValidator(schemes=["http", "https"])(settings.PRIVACY_NOTICE_URL)
    except ValidationError:
        return [
            checks.Error(
                f"PRIVACY_NOTICE_URL is not an http(s) URL: {settings.PRIVACY_NOTICE_URL!r}.",
                hint="Set it to the address of the firm's privacy notice, or leave it empty.",
                id="leads.E002",
            )
        ]
    return []


def check_intake_rate(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: INTAKE_RATE must parse, so a typo stops `runserver`/`check` at once."""
    try:
        parse_rate(settings.INTAKE_RATE)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), hint="Set INTAKE_RATE like 10/minute.", id="leads.E001")]
    return []


def check_shared_cache(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Deploy check: with DEBUG off, what every web process must see alike (CACHES["shared"])
    must not be kept in each process's own memory."""
    shared = settings.CACHES.get("shared", {}).get("BACKEND")
    if settings.DEBUG or shared not in settings.PER_PROCESS_CACHES:
        return []
    return [
        checks.Warning(
            f"The shared cache is per process ({shared}): each web process would compute and "
            "show its own dashboard and /stats/ figures of a large table.",
            hint="Keep CACHES['shared'] as config/settings.py builds it: the database's "
            "leads_shared_cache table, or CACHE_URL's Redis.",
            id="leads.W001",
        )
    ]
