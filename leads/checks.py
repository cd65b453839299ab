"""System checks for a deployment (`manage.py check --deploy`): mail that would reach nobody.

Django's own mail.E001 already fails a deployment whose mailer only prints emails.
"""

from django.conf import settings
from django.core import checks
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
