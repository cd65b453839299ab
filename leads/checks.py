"""System checks: mail that would reach nobody (`check --deploy`), a privacy notice link
that would not work.

Django's own mail.E001 already fails a deployment whose mailer only prints emails.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError


def check_someone_is_notified(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Someone must receive the new-lead notifications."""
    from accounts.models import User

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
