"""The API's one exception handler: every error as JSON in one of two documented shapes,
400 as {field or non_field_errors: [messages]} and every other status as {"detail": ...}."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


def api_exception_handler(exc, context):
    """DRF's handler, with Django's ValidationError (raised by services) and a body that
    cannot be parsed (DRF's ParseError: malformed JSON or multipart) as 400s per field.

    Anything else unhandled propagates to handler500 in config/urls.py, which answers JSON.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=validation_error_detail(exc))
    elif isinstance(exc, exceptions.ParseError):
        exc = exceptions.ValidationError(detail={api_settings.NON_FIELD_ERRORS_KEY: [str(exc.detail)]})
    elif isinstance(exc, exceptions.ValidationError) and not isinstance(exc.detail, dict):
        exc = exceptions.ValidationError(detail={api_settings.NON_FIELD_ERRORS_KEY: exc.detail})
    return drf_exception_handler(exc, context)


def validation_error_detail(exc: DjangoValidationError) -> dict[str, list[str]]:
    """{field: [messages]}; errors tied to no field go under `non_field_errors`."""
    if hasattr(exc, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
