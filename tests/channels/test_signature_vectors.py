"""The signature vectors in tests/fixtures hold against implementations that are not ours: Twilio's
official RequestValidator, and HMAC-SHA256 straight from the standard library for Meta. Our
adapters must agree with both on every vector, and refuse the same body once it is touched. If the
stored vectors and our code were wrong the same way, these tests would still see it."""

import hashlib
import hmac
import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from twilio.request_validator import RequestValidator

from channels_in.adapters.base import SignatureMismatch, WebhookRequest
from channels_in.adapters.meta import verify_signature
from channels_in.adapters.telegram import TelegramAdapter
from channels_in.adapters.twilio import TwilioAdapter
from conversations.models import Inbox
from tests.fixtures import FIXTURES, fixture_bytes, fixture_json

TWILIO = fixture_json("twilio/signatures.json")
META = fixture_json("meta/signatures.json")
# The button fixtures' vectors are kept in a file of their own (fixtures/BUTTONS.md), same secret.
META_VECTORS = META["vectors"] + fixture_json("meta/signatures_buttons.json")["vectors"]
TELEGRAM = fixture_json("telegram/secret.json")


def _request(url: str, body: bytes, headers: dict[str, str]) -> WebhookRequest:
    return WebhookRequest(
        method="POST",
        urls=(url,),
        headers=headers,
        body=body,
        query=dict(parse_qsl(urlsplit(url).query)),
        form=tuple(parse_qsl(body.decode(), keep_blank_values=True)),
    )


def _inbox(**config: str) -> Inbox:
    return Inbox(name="vectors", channel_type="sms", config=config)  # never saved: verify reads config


@pytest.mark.parametrize("vector", TWILIO["vectors"], ids=lambda v: f"{v['file']} {urlsplit(v['url']).query}")
def test_twilios_own_validator_and_ours_accept_every_twilio_vector(vector):
    body = fixture_bytes(f"twilio/{vector['file']}")
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    validator = RequestValidator(TWILIO["auth_token"])

    assert validator.compute_signature(vector["url"], params) == vector["X-Twilio-Signature"]
    assert validator.validate(vector["url"], params, vector["X-Twilio-Signature"])
    TwilioAdapter().verify(
        _inbox(auth_token=TWILIO["auth_token"]),
        _request(vector["url"], body, {"X-Twilio-Signature": vector["X-Twilio-Signature"]}),
    )


@pytest.mark.parametrize("vector", TWILIO["vectors"][:1], ids=lambda v: v["file"])
@pytest.mark.parametrize("tamper", ["body", "url", "token"])
def test_a_touched_twilio_request_fails_twilios_validator_and_ours(vector, tamper):
    body = fixture_bytes(f"twilio/{vector['file']}")
    url, token = vector["url"], TWILIO["auth_token"]
    if tamper == "body":
        body = body.replace(b"Body=", b"Body=Hi+", 1)
    elif tamper == "url":
        url = url.replace("/sms-main/", "/sms-other/")
    else:
        token = token[::-1]
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))

    assert not RequestValidator(token).validate(url, params, vector["X-Twilio-Signature"])
    with pytest.raises(SignatureMismatch):
        TwilioAdapter().verify(
            _inbox(auth_token=token),
            _request(url, body, {"X-Twilio-Signature": vector["X-Twilio-Signature"]}),
        )


@pytest.mark.parametrize("vector", META_VECTORS, ids=lambda v: v["file"])
def test_the_standard_librarys_hmac_and_ours_accept_every_meta_vector(vector):
    body = fixture_bytes(f"meta/{vector['file']}")
    digest = hmac.new(META["app_secret"].encode(), body, hashlib.sha256).hexdigest()

    assert f"sha256={digest}" == vector["X-Hub-Signature-256"]
    verify_signature(
        _inbox(app_secret=META["app_secret"]),
        _request("https://desk.example.com/hooks/meta/", body, {"X-Hub-Signature-256": f"sha256={digest}"}),
    )


@pytest.mark.parametrize("vector", META["vectors"][:1], ids=lambda v: v["file"])
def test_a_reserialised_meta_body_no_longer_matches_its_signature(vector):
    """Meta signs the bytes it sent: parsing and dumping the JSON again (spaces after separators)
    changes them, so both the standard library's HMAC and our check must refuse it."""
    body = json.dumps(json.loads(fixture_bytes(f"meta/{vector['file']}"))).encode()
    digest = hmac.new(META["app_secret"].encode(), body, hashlib.sha256).hexdigest()

    assert f"sha256={digest}" != vector["X-Hub-Signature-256"]
    with pytest.raises(SignatureMismatch):
        verify_signature(
            _inbox(app_secret=META["app_secret"]),
            _request(
                "https://desk.example.com/hooks/meta/",
                body,
                {"X-Hub-Signature-256": vector["X-Hub-Signature-256"]},
            ),
        )


def test_every_meta_body_in_the_fixtures_has_a_vector():
    signed = {vector["file"] for vector in META_VECTORS}
    webhooks = {path.name for path in (FIXTURES / "meta").glob("*.json")}
    webhooks -= {
        name for name in webhooks if name.startswith("signatures") or "_send_" in name
    }  # API answers

    assert webhooks == signed


def test_the_telegram_secret_is_one_telegram_accepts_and_our_check_matches_it_exactly():
    """Telegram's setWebhook takes a secret_token of 1-256 characters A-Z, a-z, 0-9, _ and -, and
    sends it back verbatim in the header; anything else in the header is refused."""
    secret = TELEGRAM["secret_token"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret)
    assert TELEGRAM["header"] == "X-Telegram-Bot-Api-Secret-Token"
    inbox = _inbox(secret_token=secret)
    body = fixture_bytes("telegram/update_text.json")

    TelegramAdapter().verify(
        inbox, _request("https://desk.example.com/hooks/telegram/", body, {TELEGRAM["header"]: secret})
    )
    for wrong in ("", secret[:-1], secret + "x", secret.upper()):
        assert not hmac.compare_digest(wrong.encode(), secret.encode())
        with pytest.raises(SignatureMismatch):
            TelegramAdapter().verify(
                inbox, _request("https://desk.example.com/hooks/telegram/", body, {TELEGRAM["header"]: wrong})
            )
