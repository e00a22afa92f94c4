"""Every API error is JSON with a `detail` string, as Sentry's clients read it; field errors
of a body also come under `errors`."""

from rest_framework import exceptions
from rest_framework.views import exception_handler


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field in ("detail", "non_field_errors") else f"{field}: {message}"
        return "Invalid input."
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "Invalid input."
    return str(detail)


def handle(exc, context):
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.ValidationError):
        return response
    detail = exc.detail
    if isinstance(detail, dict) and set(detail) == {"detail"} and isinstance(detail["detail"], str):
        return response
    response.data = {"detail": _first_message(detail), "errors": detail}
    return response
