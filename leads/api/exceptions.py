"""The API's one exception handler: every error as JSON, services' errors as 400s."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def api_exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError (raised by services) as {field: [messages]}.

    Anything else unhandled propagates to handler500 in config/urls.py, which answers JSON.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    return drf_exception_handler(exc, context)


def validation_error_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    """{field: [messages]}; errors tied to no field go under `non_field_errors`."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
