"""What Meta's three messaging products share: the webhook signature and handshake, the Graph
API client and its error answers, and the steps of one outbound message.

Every Meta webhook is JSON signed with the app's secret:
    X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app_secret, the raw body bytes)>
and the callback URL is confirmed once with a GET:
    ?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=1158201444  → answer the challenge.

Graph refuses with an error object, e.g. (fixtures/meta/whatsapp_send_400_131047.json)
    {"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException",
               "code": 131047, "error_data": {"details": "…"}, "fbtrace_id": "…"}}
and Messenger's window refusal carries an error_subcode (code 10, subcode 2018278).

The WhatsApp adapter is in meta_whatsapp.py, Messenger and Instagram in meta_messenger.py.
"""

import hashlib
import hmac

import httpx
from django.conf import settings

from conversations.models import Inbox

from .base import (
    PermanentDeliveryError,
    ProviderClient,
    SignatureMismatch,
    TransientDeliveryError,
    WebhookRequest,
    retry_after_seconds,
    same_secret,
)
from .content import answer_json
from .errors import META, meta_error_in_words

# Graph's codes for "too many calls" and "try again later": worth another attempt.
TRANSIENT_CODES = frozenset({"1", "2", "4", "17", "32", "341", "613", "80007", "130429", "131000", "131056"})
CAPTION_LIMIT = 1024  # WhatsApp's media caption; longer text goes as its own message
# Codes whose words are general ("a value was refused"): Graph's details say which one.
DETAILED_CODES = frozenset({"100", "131008", "131009"})


def signature(app_secret: str, body: bytes) -> str:
    """X-Hub-Signature-256 as Meta computes it."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(inbox: Inbox, request: WebhookRequest) -> None:
    given = request.headers.get("X-Hub-Signature-256", "")
    app_secret = str((inbox.config or {}).get("app_secret") or "")
    if not app_secret or not same_secret(given, signature(app_secret, request.body)):
        raise SignatureMismatch("X-Hub-Signature-256 does not match this inbox's app secret")


def subscription_challenge(inbox: Inbox, request: WebhookRequest) -> str | None:
    """The GET Meta sends when the callback URL is saved: echo the challenge to our own token."""
    expected = str((inbox.config or {}).get("verify_token") or "")
    if request.query.get("hub.mode") != "subscribe":
        return None
    if not same_secret(request.query.get("hub.verify_token", ""), expected):
        return None
    return request.query.get("hub.challenge", "")[:200] or None


def graph() -> ProviderClient:
    return ProviderClient(base_url=settings.META_GRAPH_URL)


def graph_path(path: str) -> str:
    return f"/{settings.META_GRAPH_VERSION}/{path.lstrip('/')}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def graph_refusal(response: httpx.Response) -> TransientDeliveryError | PermanentDeliveryError:
    """Graph's error answer as one of the core's delivery errors, in words."""
    error = answer_json(response).get("error") or {}
    if not isinstance(error, dict):
        error = {}
    code = str(error.get("code") or "")
    subcode = str(error.get("error_subcode") or "")
    key = subcode if subcode in META else code
    details = (
        (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else ""
    )
    fallback = str(details or error.get("message") or f"Meta answered {response.status_code}.")
    reason = meta_error_in_words(key, fallback=fallback) if key else fallback
    if key in DETAILED_CODES and details and str(details) not in reason:
        reason = f"{reason} Meta says: {details}"
    if (
        response.status_code == 429
        or response.status_code >= 500
        or code in TRANSIENT_CODES
        or error.get("is_transient")
    ):
        return TransientDeliveryError(
            reason, code=key or str(response.status_code), retry_after=retry_after_seconds(response)
        )
    return PermanentDeliveryError(reason, code=key or str(response.status_code))
