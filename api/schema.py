"""The OpenAPI description's shared parts: every operation lists its error answers, with their shape."""

from drf_spectacular.utils import OpenApiResponse

from api_common.serializers import ErrorSerializer, ValidationErrorSerializer

ERRORS = {
    400: OpenApiResponse(ValidationErrorSerializer, description="Invalid input; see field_errors."),
    401: OpenApiResponse(ErrorSerializer, description="No or a bad token (and no desk session)."),
    403: OpenApiResponse(ErrorSerializer, description="Signed in, but not as an agent or admin."),
    404: OpenApiResponse(ErrorSerializer, description="Not found among what your inboxes hold."),
    409: OpenApiResponse(ErrorSerializer, description="It exists already."),
    422: OpenApiResponse(ErrorSerializer, description="Refused by Parley's rules; nothing was stored."),
}


def responses(success: dict, *errors: int) -> dict:
    """`success` ({200: Serializer}) plus the errors named, and 401 and 403, which any call may get."""
    return {**success, **{code: ERRORS[code] for code in sorted({401, 403, *errors})}}
