"""The webhooks' own ASGI door: POST /hooks/<provider>/<inbox key>/ under Daphne, answered by
hooks.webhook without Django's middleware stack and without a thread made per request.

Through Django's ASGI handler a webhook paid for a thread of its own (every request gets a
ThreadSensitiveContext, hence an executor), the sync middleware's hops between that thread and the
event loop, and sessions, CSRF, auth and messages it never uses. Here the body is read on the event
loop (bounded by hooks.MAX_WEBHOOK_BYTES), and the view runs once on the loop's shared pool of
threads, between Django's request_started and request_finished signals (so its database
connection goes back to the pool as after any request). Every other request, and a webhook's GET
handshake, goes on to Django. The view is the same one the URLconf serves (the test client and
`runserver` reach it that way); what the middleware would have added on this path: a body declared
too big is refused here (413, as the view does), and a Host not in ALLOWED_HOSTS is a 400.
"""

import io
import logging
import re

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse

from .hooks import MAX_WEBHOOK_BYTES, plain, webhook

logger = logging.getLogger(__name__)

# As channels_in/urls.py: hooks/<slug:provider>/<str:key>/
HOOK_PATH = re.compile(r"^/hooks/(?P<provider>[-a-zA-Z0-9_]+)/(?P<key>[^/]+)/$")


class WebhookDoor:
    """ASGI middleware: webhook POSTs answered here, anything else passed to `app`."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        match = HOOK_PATH.match(scope.get("path", "")) if _is_post(scope) else None
        if match is None:
            await self.app(scope, receive, send)
            return
        body = await _body(receive, MAX_WEBHOOK_BYTES)
        if body is None:  # the client left, or sent more than a webhook may
            response = plain("Webhook body too large.", 413)
        else:
            response = await _answer(scope, body, match["provider"], match["key"])
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": response.content})


def _is_post(scope) -> bool:
    return scope["type"] == "http" and scope.get("method") == "POST"


async def _body(receive, limit: int) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


@sync_to_async(thread_sensitive=False)
def _answer(scope, body: bytes, provider: str, key: str) -> HttpResponse:
    signals.request_started.send(sender=WebhookDoor, scope=scope)
    try:
        return webhook(ASGIRequest(scope, io.BytesIO(body)), provider, key)
    except SuspiciousOperation as error:  # a Host not allowed, say: Django answers these 400
        return plain(f"Bad request: {error}", 400)
    except Exception:
        logger.exception("webhook %s/%s: unexpected error", provider, key)
        return plain("Server error.", 500)
    finally:
        signals.request_finished.send(sender=WebhookDoor)
