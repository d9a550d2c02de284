"""POST /hooks/<provider>/<inbox key>/: provider webhooks. Verify, store, answer (invariant 6).

The adapter verifies the signature before anything else is read (a forgery gets 403 and leaves
nothing behind); the events are stored as receipts in one INSERT and the provider hears 200 once
they are safely stored. A worker applies them (receipts.receipts_apply_new), off this path.
"""

from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .adapters.base import SignatureMismatch, WebhookRequest
from .adapters.by_provider import adapter_for_slug
from .inboxes import webhook_inbox
from .receipts import receipts_store

MAX_WEBHOOK_BYTES = 1024 * 1024
# What parsing a signed body of the wrong shape raises (not JSON, too deep, `entry` not a list, an
# item not an object, a field missing): the provider sent something it does not document, 400.
MALFORMED = (ValueError, KeyError, TypeError, AttributeError, IndexError)


@csrf_exempt  # providers sign their requests; there is no browser session here
def webhook(request: HttpRequest, provider: str, key: str) -> HttpResponse:
    adapter = adapter_for_slug(provider)
    inbox = webhook_inbox(key, tuple(adapter.channel_types)) if adapter is not None else None
    if inbox is None:
        return plain("No such webhook: check the URL in the provider's console.", 404)
    if request.method not in ("GET", "POST"):
        return plain("Webhooks are POSTed.", 405)
    if int(request.headers.get("Content-Length") or 0) > MAX_WEBHOOK_BYTES:
        return plain("Webhook body too large.", 413)
    hook = _webhook_request(request)
    if request.method == "GET":
        answer = adapter.handshake(inbox, hook)
        return plain(answer, 200) if answer is not None else plain("Verification failed.", 403)
    try:
        adapter.verify(inbox, hook)
    except SignatureMismatch:
        return plain("Signature verification failed.", 403)
    try:
        events = adapter.parse(inbox, hook)
    except MALFORMED as error:
        return plain(f"Could not read this webhook: {type(error).__name__}: {error}", 400)
    receipts_store(inbox=inbox, provider=adapter.slug, events=events, raw_body=hook.body)
    answer = adapter.answer(hook)
    if answer is None:
        return plain("", 200)
    return HttpResponse(answer.body, status=200, content_type=answer.content_type)


def _webhook_request(request: HttpRequest) -> WebhookRequest:
    body = request.body
    is_form = request.content_type == "application/x-www-form-urlencoded"
    return WebhookRequest(
        method=request.method or "POST",
        # Behind a TLS-terminating proxy Django sees http://internal-host; the provider signed
        # the public URL it was given, which is PUBLIC_URL's.
        urls=(settings.PUBLIC_URL + request.get_full_path(), request.build_absolute_uri()),
        headers=request.headers,
        body=body,
        query=request.GET.dict(),
        form=tuple(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
        if is_form
        else (),
    )


def plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
