"""One JSON shape for every error the API answers (ErrorSerializer in api/serializers/common.py):

- 400 `invalid`: the request did not pass validation; `field_errors` says which field and why.
- 404 `not_found`: also for what exists in an inbox the agent does not work (never 403: that
  would tell them it exists).
- 422 `refused`: the request was well formed but the core refused it (a ValidationError from a
  service: WhatsApp's 24-hour window, a merge of two verified users). Nothing was stored.
"""

from collections.abc import Mapping

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from conversations.boundary import replace_unstorable
from conversations.refusals import Refused

MAX_DETAIL_LENGTH = 500


class Unprocessable(exceptions.APIException):
    """A refusal (conversations.refusals.Refused, or a service's ValidationError) as the API's 422."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request was refused."
    default_code = "refused"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "That already exists."
    default_code = "conflict"


@csrf_exempt  # it changes nothing; without this a POST would get the CSRF check's HTML 403
def endpoint_not_found(request: HttpRequest) -> JsonResponse:
    """Any other URL under /api/ (an id that is not a number, a typo): the API's JSON 404, not
    Django's HTML page."""
    return JsonResponse({"detail": "No such endpoint: see /api/docs/.", "code": "not_found"}, status=404)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    exc = _as_api_exception(exc)
    response = exception_handler(exc, context)
    if response is None:  # not ours to explain: a real bug, a 500 with its traceback logged
        return None
    if isinstance(exc, exceptions.ValidationError):
        field_errors = _flatten(exc.detail)
        summary = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in field_errors.items())
        response.data = {
            "detail": _short(f"Invalid input. {summary}"),
            "code": "invalid",
            "field_errors": field_errors,
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else ""
        response.data = {"detail": _short(str(detail)), "code": getattr(detail, "code", "error")}
    return response


def _as_api_exception(exc: Exception) -> Exception:
    if isinstance(exc, Refused):
        return Unprocessable(exc.detail, exc.code)
    if isinstance(exc, DjangoValidationError):
        return Unprocessable(" ".join(exc.messages))
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def _flatten(detail: object, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as `{"field": [...], "labels.2": [...]}`, one flat level."""
    key = prefix or "non_field_errors"
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for name, inner in detail.items():
            flat.update(_flatten(inner, f"{prefix}.{name}" if prefix else str(name)))
        return flat
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return {key: [_short(str(item)) for item in detail]}
        flat = {}
        for index, inner in enumerate(detail):
            flat.update(_flatten(inner, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {key: [_short(str(detail))]}


def _short(text: str) -> str:
    """Error messages may quote what was sent: a huge input is not echoed back whole, and one
    that cannot be encoded (an unpaired surrogate) is echoed with U+FFFD in its place."""
    text, _ = replace_unstorable(text)
    return text if len(text) <= MAX_DETAIL_LENGTH else text[: MAX_DETAIL_LENGTH - 1] + "…"
