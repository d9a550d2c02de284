"""Provider webhooks (/hooks/<provider>/<key>/) given correctly signed bodies that are not what the
provider documents: the real payloads of tests/fixtures/ with their structure broken (a list where
an object was, an item of the wrong kind, a field missing, nesting too deep, NaN, huge numbers)
and hostile text (NUL, lone surrogates, emoji, right-to-left), or sent in the wrong encoding.

Signed, so they pass the door and reach the parser. The answer is 200 or a 4xx, never a 5xx; a
4xx stores nothing; a 200 stored one receipt for each event the webhook holds, with the body as
it came, and each receipt ended applied or failed (a delivery report about a message not sent yet
may wait for it): none is left to be retried for ever.
"""

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode

import pytest
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from channels_in.adapters.base import WebhookRequest
from channels_in.adapters.by_provider import adapter_for_slug
from channels_in.models import WebhookReceipt
from conversations.models import Attachment, Contact, ContactIdentity, Conversation, Message
from tests.channels.conftest import (
    INSTAGRAM_ACCOUNT_ID,
    META,
    PAGE_ID,
    TELEGRAM_SECRET,
    TWILIO,
    WHATSAPP_PHONE_NUMBER_ID,
)
from tests.channels.worker import applied
from tests.factories.conversations import InboxFactory
from tests.fixtures import FIXTURES, fixture_bytes
from tests.fuzz import database, hostile
from tests.fuzz.conftest import count_case

pytestmark = pytest.mark.postgres  # the stored rows' digest is computed by Postgres

PUBLIC_URL = "https://desk.example.com"
STORED = [WebhookReceipt, Message, Conversation, Contact, ContactIdentity, Attachment]
PROVIDERS = {
    # slug: (channel type, inbox key, fixture files)
    "twilio": ("sms", "sms-main", sorted((FIXTURES / "twilio").glob("*.form"))),
    "whatsapp": ("whatsapp", "wa-main", sorted((FIXTURES / "meta").glob("whatsapp_*.json"))),
    "messenger": ("messenger", "fb-main", sorted((FIXTURES / "meta").glob("messenger_*.json"))),
    "instagram": ("instagram", "ig-main", sorted((FIXTURES / "meta").glob("instagram_*.json"))),
    "telegram": ("telegram", "tg-main", sorted((FIXTURES / "telegram").glob("update_*.json"))),
}
SENT = re.compile(r"_send_")  # the API answers among the Meta fixtures: not webhooks
CONFIG = {
    "twilio": {
        "account_sid": "AC" + "a" * 32,
        "auth_token": TWILIO["auth_token"],
        "phone_number": "+14155550100",
    },
    "whatsapp": {"phone_number_id": WHATSAPP_PHONE_NUMBER_ID, "app_secret": META["app_secret"]},
    "messenger": {"page_id": PAGE_ID, "app_secret": META["app_secret"]},
    "instagram": {
        "page_id": PAGE_ID,
        "instagram_account_id": INSTAGRAM_ACCOUNT_ID,
        "app_secret": META["app_secret"],
    },
    "telegram": {"secret_token": TELEGRAM_SECRET},
}


def payloads(provider: str) -> list[bytes]:
    return [
        fixture_bytes(str(path.relative_to(FIXTURES)))
        for path in PROVIDERS[provider][2]
        if not SENT.search(path.name)
    ]


# --- structure mutations of a JSON document ---


def paths(node: object, here: tuple = ()) -> Iterator[tuple]:
    """Every place in a JSON document: each object key and list index, the root included."""
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*here, index))


def replaced(node: object, path: tuple, make) -> object:
    """`node` with the value at `path` replaced by make(old value); make may return DELETE."""
    if not path:
        return make(node)
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        copy = dict(node)
        value = replaced(node[head], rest, make)
        if value is DELETE:
            del copy[head]
        else:
            copy[head] = value
        return copy
    copy = list(node)
    value = replaced(node[head], rest, make)
    if value is DELETE:
        del copy[head]
    else:
        copy[head] = value
    return copy


DELETE = object()


@st.composite
def mutated_documents(draw, document: object) -> object:
    """One to three changes at random places: a value of another kind, a hostile one, the value
    wrapped in a list or unwrapped from one, removed, or nested deep."""
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(document))))
        how = draw(
            st.sampled_from(("other kind", "hostile text", "wrap", "unwrap", "delete", "deep", "number"))
        )
        if how == "other kind":
            value = draw(hostile.json_values(max_leaves=5))
            document = replaced(document, path, lambda _, value=value: value)
        elif how == "hostile text":
            text = draw(hostile.hostile_text())
            document = replaced(
                document, path, lambda old, text=text: text if not isinstance(old, dict | list) else old
            )
        elif how == "wrap":
            document = replaced(document, path, lambda old: [old, old])
        elif how == "unwrap":
            document = replaced(document, path, lambda old: old[0] if isinstance(old, list) and old else old)
        elif how == "delete" and path:
            document = replaced(document, path, lambda _: DELETE)
        elif how == "deep":
            depth = draw(st.integers(20, 60))
            document = replaced(document, path, lambda old, depth=depth: hostile.nested(depth, inner=old))
        elif how == "number":
            number = draw(st.one_of(st.sampled_from(hostile.NUMBERS), st.floats()))
            document = replaced(document, path, lambda _, number=number: number)
    return document


@st.composite
def json_bodies(draw, provider: str) -> bytes:
    document = json.loads(draw(st.sampled_from(payloads(provider))))
    if draw(st.integers(0, 5)) == 0:
        return draw(hostile.broken_bodies(document))
    changed = draw(mutated_documents(document))
    ascii_only = draw(st.booleans())
    try:
        text = hostile.overflowed(json.dumps(changed, ensure_ascii=ascii_only, separators=(",", ":")))
        return text.encode("utf-8", "surrogatepass")  # a lone surrogate as raw bytes: not UTF-8
    except (ValueError, RecursionError):
        return hostile.nested_json(5000).encode()


@st.composite
def form_bodies(draw) -> bytes:
    """A Twilio form with fields changed, added, removed or repeated, or not a form at all."""
    fields = parse_qsl(draw(st.sampled_from(payloads("twilio"))).decode(), keep_blank_values=True)
    how = draw(st.sampled_from(("value", "value", "drop", "add", "repeat", "raw bytes", "json")))
    index = draw(st.integers(0, len(fields) - 1))
    name = fields[index][0]
    if how == "value":
        value = draw(
            st.one_of(hostile.hostile_text(), st.sampled_from(("-1", "999999999999", "NaN", "1e9", "")))
        )
        fields[index] = (name, value)
    elif how == "drop":
        del fields[index]
    elif how == "add":
        fields.append((draw(hostile.hostile_text(max_size=5)), draw(hostile.hostile_text())))
    elif how == "repeat":
        fields.append((name, draw(hostile.hostile_text())))
    if how == "raw bytes":
        return urlencode(fields).encode() + b"&Body=" + draw(st.binary(min_size=1, max_size=20))
    if how == "json":
        return json.dumps(dict(fields)).encode()
    return urlencode(
        [
            (key.encode("utf-8", "surrogatepass"), value.encode("utf-8", "surrogatepass"))
            for key, value in fields
        ]
    ).encode()


def _with(document: dict, path: tuple, value: object) -> bytes:
    return hostile.encode(replaced(document, path, lambda _: value))


def known_breakers(provider: str) -> list[bytes]:
    """Bodies that broke a webhook once, tried first on every run: an id longer than a receipt's
    key holds; a time past what the platform's clock converts (10**18 s: OSError, not the
    OverflowError of larger ones); (Telegram) a NUL in a file's id, in a list of the stored event."""
    long_id, far_future = "A" * 300, 10**18
    if provider == "twilio":
        return [urlencode({"MessageSid": "SM" + long_id, "From": "+14155550199", "Body": "Hi"}).encode()]
    if provider == "telegram":
        photo = json.loads(fixture_bytes("telegram/update_photo.json"))
        return [
            _with(photo, ("message", "photo", -1, "file_id"), "\x00"),
            _with(photo, ("message", "date"), far_future),
        ]
    if provider == "whatsapp":
        text = json.loads(fixture_bytes("meta/whatsapp_text.json"))
        return [
            _with(text, ("entry", 0, "changes", 0, "value", "messages", 0, "id"), "wamid." + long_id),
            _with(text, ("entry", 0, "changes", 0, "value", "messages", 0, "timestamp"), str(far_future)),
        ]
    text = json.loads(fixture_bytes(f"meta/{provider}_text.json"))
    breakers = [
        _with(text, ("entry", 0, "messaging", 0, "message", "mid"), "m_" + long_id),
        _with(text, ("entry", 0, "messaging", 0, "timestamp"), far_future * 1000),
    ]
    if provider == "messenger":
        read = json.loads(fixture_bytes("meta/messenger_read.json"))
        breakers.append(_with(read, ("entry", 0, "messaging", 0, "read", "watermark"), far_future * 1000))
    return breakers


# --- signing, as each provider signs ---


def twilio_signature(url: str, body: bytes) -> str:
    """tests/fixtures/twilio/signatures.json's algorithm, over the parameters as the server reads
    them (Twilio's own validator agrees on every fixture: tests/channels/test_signature_vectors.py)."""
    params = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    signed = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(TWILIO["auth_token"].encode(), signed.encode("utf-8", "surrogatepass"), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode()


def signed_post(client, provider: str, body: bytes):
    path = f"/hooks/{provider}/{PROVIDERS[provider][1]}/"
    if provider == "twilio":
        headers = {"X-Twilio-Signature": twilio_signature(PUBLIC_URL + path, body)}
        content_type = "application/x-www-form-urlencoded"
    elif provider == "telegram":
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        content_type = "application/json"
    else:
        digest = hmac.new(META["app_secret"].encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-Hub-Signature-256": f"sha256={digest}"}
        content_type = "application/json"
    return applied(client.post(path, data=body, content_type=content_type, headers=headers))


# --- what a webhook left behind ---


def expected_keys(provider: str, inbox, body: bytes) -> set[str]:
    """The event keys the adapter reads from `body`, as they are stored (unstorable characters
    replaced): what a 200 must have stored a receipt for."""
    form = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True) if provider == "twilio" else ()
    request = WebhookRequest(
        method="POST", urls=(PUBLIC_URL,), headers={}, body=body, query={}, form=tuple(form)
    )
    events = adapter_for_slug(provider).parse(inbox, request)
    return {hostile.unstorable_replaced(event.key) for event in events}


@pytest.fixture
def provider_inboxes(db, settings) -> dict:
    settings.PUBLIC_URL = PUBLIC_URL
    return {
        slug: InboxFactory(name=slug, channel_type=channel_type, public_key=key, config=CONFIG[slug])
        for slug, (channel_type, key, _) in PROVIDERS.items()
    }


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_a_signed_webhook_of_any_shape_is_answered_200_or_4xx_and_stored_whole_or_not_at_all(
    provider, provider_inboxes
):
    inbox = provider_inboxes[provider]
    client = Client(raise_request_exception=False)  # a crash is a 500 like in production, logged
    bodies = form_bodies() if provider == "twilio" else json_bodies(provider)

    @given(body=bodies)
    def examples(body: bytes) -> None:
        count_case(f"webhooks {provider}")
        with database.undone():  # each example starts with no receipt at all
            before = database.digest(STORED)
            response = signed_post(client, provider, body)
            answer = f"{response.status_code} {response.content[:300]!r}"
            where = f"POST /hooks/{provider}/ with {body[:400]!r}: {answer}"
            assert response.status_code == 200 or 400 <= response.status_code < 500, where
            if response.status_code != 200:
                assert database.digest(STORED) == before, f"refused, yet stored\n{where}"
                return
            receipts = WebhookReceipt.objects.all()
            assert {receipt.key for receipt in receipts} == expected_keys(provider, inbox, body), where
            raw = hostile.unstorable_replaced(body.decode("utf-8", "replace"))
            for receipt in receipts:
                assert receipt.raw_body == raw, f"receipt {receipt.key} did not keep the body\n{where}"
                waiting = (
                    receipt.event.get("kind") == "status" and receipt.state == WebhookReceipt.State.PENDING
                )
                assert receipt.state != WebhookReceipt.State.PENDING or waiting, (
                    f"receipt {receipt.key} left pending: {receipt.last_error}\n{where}"
                )

    for body in known_breakers(provider):
        examples = example(body=body)(examples)
    examples()
