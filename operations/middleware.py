"""Two hooks around every HTTP request: the ASGI wrapper (config/asgi.py) that gives it an id and
counts it, and the Django middleware that tells the wrapper which route the request matched."""

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.core import signals
from django.http import HttpRequest, HttpResponse

from . import exposition
from .logs import REQUEST_ID, request_id_from
from .metrics import HTTP_LATENCY, HTTP_REQUESTS, WEBHOOKS_RECEIVED

OBSERVED = "parley.observed"  # the scope key where the wrapper and the middleware meet
HOOKS_PREFIX = "/hooks/"  # provider webhooks: answered by channels_in's door, outside Django's URLs
UNMATCHED = "(unmatched)"  # a 404, or a request turned away before URL resolution
METRICS_PATH = "/metrics"
METRICS_ROUTE = "metrics"
# A label takes a method from this set only: any other word a client sends counts as OTHER, so
# nobody can grow the page one invented method at a time.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestIdAndRoute:
    """Django middleware: gives the request its id as `request.request_id` (for whatever records
    it, the audit log say), and writes the matched URL pattern (`desk/conversations/<int:pk>/`,
    never the path with its ids) where the ASGI wrapper reads it. Both sync and async, so it adds
    no thread hop to the chain."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        request.request_id = REQUEST_ID.get() or None
        if iscoroutinefunction(self):
            return self._async_call(request)
        response = self.get_response(request)
        self._note_route(request)
        return response

    async def _async_call(self, request: HttpRequest) -> HttpResponse:
        response = await self.get_response(request)
        self._note_route(request)
        return response

    @staticmethod
    def _note_route(request: HttpRequest) -> None:
        observed = getattr(request, "scope", {}).get(OBSERVED)
        match = request.resolver_match
        if observed is not None and match is not None:
            observed["route"] = match.route or match.view_name or UNMATCHED


Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class ObservedHTTP:
    """ASGI wrapper for HTTP: an id per request (the client's X-Request-ID when sane, else a new
    one; returned in the response and in every log line written meanwhile), and the request's
    count and latency by route once its response has ended."""

    def __init__(self, application: Callable) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.application(scope, receive, send)
            return
        request_id = request_id_from(_header(scope, b"x-request-id")) or uuid.uuid4().hex
        token = REQUEST_ID.set(request_id)
        observed: dict[str, Any] = {"status": 500}
        scope = {**scope, OBSERVED: observed}
        started = time.perf_counter()

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                observed["status"] = message["status"]
                headers = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            if scope.get("path") == METRICS_PATH and scope.get("method") in ("GET", "HEAD"):
                observed["route"] = METRICS_ROUTE
                await answer_metrics(scope, send_with_id)
            else:
                await self.application(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
            record(scope, observed, time.perf_counter() - started)


async def answer_metrics(scope: Scope, send: Send) -> None:
    """GET /metrics, ahead of Django: a scraper reaches the process by its own address (no Host in
    ALLOWED_HOSTS, no https redirect), and PARLEY_METRICS_TOKEN, when set, is what lets it in."""
    if not exposition.authorized(_header(scope, b"authorization")):
        status, body, content_type = 401, b"A bearer token is required.\n", b"text/plain; charset=utf-8"
    else:
        body = await sync_to_async(page, thread_sensitive=False)()
        status, content_type = 200, exposition.CONTENT_TYPE.encode()
    headers = [(b"content-type", content_type), (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def page() -> bytes:
    """The page, read between Django's request signals like a view (its database connection goes
    back to the pool after)."""
    signals.request_started.send(sender=ObservedHTTP)
    try:
        return exposition.web_page()
    finally:
        signals.request_finished.send(sender=ObservedHTTP)


def record(scope: Scope, observed: dict[str, Any], seconds: float) -> None:
    path = scope.get("path", "")
    status = str(observed["status"])
    route = observed.get("route")
    if route is None and path.startswith(HOOKS_PREFIX):  # answered by the webhook door
        route = "hooks/<slug:provider>/<str:key>/"
        # The provider's name from the path only when the door knew it: a 404's is anyone's word.
        provider = path[len(HOOKS_PREFIX) :].split("/", 1)[0][:20] if status != "404" else "(unknown)"
        WEBHOOKS_RECEIVED.labels(provider, status).inc()
    route = route or UNMATCHED
    method = scope.get("method", "")
    HTTP_REQUESTS.labels(route, method if method in KNOWN_METHODS else "OTHER", status).inc()
    HTTP_LATENCY.labels(route).observe(seconds)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None
