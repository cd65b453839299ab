from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.core import checks

        from .checks import (
            check_intake_rate,
            check_privacy_notice_url,
            check_shared_cache,
            check_someone_is_notified,
        )

        checks.register(check_intake_rate)
        checks.register(check_privacy_notice_url)
        checks.register(check_shared_cache, checks.Tags.caches, deploy=True)
        checks.register(check_someone_is_notified, checks.Tags.mail, deploy=True)

        if settings.LOG_SQL:
            from django.db.backends.signals import connection_created

            connection_created.connect(_log_every_query)


def _log_every_query(sender, connection, **kwargs) -> None:
    # Django logs SQL only from debug cursors; LOG_SQL asks for them without DEBUG.
    connection.force_debug_cursor = True
