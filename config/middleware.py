"""The input boundary's HTTP part, for every door at once (conversations.boundary has the rest).

- A body over Django's DATA_UPLOAD_MAX_MEMORY_SIZE is answered 413 in JSON, the documented
  `too_big`, instead of Django's HTML 400; a multipart upload's files do not count (each upload
  view limits its own files).
- A query string or a form that holds a NUL character is answered 400 naming the field: no
  lookup or write sends it to Postgres, which refuses it. (Django decodes what is not UTF-8 as
  U+FFFD, so neither can carry a lone surrogate; JSON bodies are read by
  conversations.boundary.read_json.)

Both answers carry `error` (the widget's shape) and `code` (the REST API's) with `detail`, and a
widget page may read them (CORS).
"""

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from conversations.boundary import NOT_STORABLE, BadInput, unstorable
from customer_clients.answers import cors

# Paths whose forms are not read here: a provider's signed form (its receipt is stored with the
# characters replaced, since nobody can correct it), and the REST API (JSON only: it answers a
# form 415 without reading it).
NOT_FORMS = ("/hooks/", "/api/")


class InputBoundaryMiddleware:
    """Sync and async, so a request reaches its view with one hop to a thread: a form's fields
    (and a multipart upload's files) are read in the request's thread, anything else on the loop
    (its query string is already in memory)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if iscoroutinefunction(self):
            return self._async_call(request)
        return self._refusal(request) or self.get_response(request)

    async def _async_call(self, request: HttpRequest) -> HttpResponse:
        if _has_form(request):
            refusal = await sync_to_async(self._refusal)(request)
        else:
            refusal = self._refusal(request)
        return refusal or await self.get_response(request)

    @staticmethod
    def _refusal(request: HttpRequest) -> HttpResponse | None:
        if _declared_too_big(request):
            return _too_big(request)
        try:
            for name, values in _text_fields(request):
                if unstorable(name) or any(unstorable(value) for value in values):
                    return refused(request, 400, "bad_request", str(BadInput(NOT_STORABLE, _printable(name))))
        except RequestDataTooBig:  # a form's fields over the limit
            return _too_big(request)
        except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as error:  # else an HTML 400
            return refused(request, 400, "bad_request", f"The query or form could not be read: {error}")
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):  # a body without a length, or a form's fields
            return _too_big(request)
        return None


def refused(request: HttpRequest, status: int, code: str, detail: str) -> JsonResponse:
    response = JsonResponse({"error": code, "code": code, "detail": detail}, status=status)
    return cors(response, request.headers.get("Origin")) if request.path.startswith("/widget/") else response


def _text_fields(request: HttpRequest):
    """The query string's parameters, and a form's fields (see NOT_FORMS)."""
    yield from request.GET.lists()
    if _has_form(request):
        yield from request.POST.lists()


def _has_form(request: HttpRequest) -> bool:
    return (
        request.method == "POST"
        and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
        and not request.path.startswith(NOT_FORMS)
    )


def _declared_too_big(request: HttpRequest) -> bool:
    if request.content_type == "multipart/form-data":
        return False
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _too_big(request: HttpRequest) -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return refused(request, 413, "too_big", f"The request body is over {limit:,} bytes.")


def _printable(name: str) -> str:
    return name.replace("\x00", "\\0")
