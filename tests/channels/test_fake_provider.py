"""The fake provider speaks the providers' real wire formats: its webhook signers and builders
reproduce the fixture vectors byte for byte, each API answers in its real shape, and scripted
faults, latency and the accepted-before-answered rule behave as exactly-once tests need.
No database: the fake is plain HTTP."""

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from simulator.fake_provider import (
    GRAPH_ACCESS_TOKEN,
    TELEGRAM_BOT_TOKEN,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    FakeProvider,
    FakeProviderClient,
    webhooks,
)
from tests.fixtures import fixture_bytes, fixture_json
from tests.waiting import wait_until

MAIN = Path(__file__).resolve().parents[2]
TWILIO_AUTH = (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)
MESSAGES = f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"
BEARER = {"Authorization": f"Bearer {GRAPH_ACCESS_TOKEN}"}
WHATSAPP_SEND = "/v21.0/106540352242922/messages"
TELEGRAM = f"/bot{TELEGRAM_BOT_TOKEN}"


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def api(fake: FakeProvider) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=5) as client:
        yield client


def twilio_send(api: httpx.Client, **form: str) -> httpx.Response:
    fields = {"To": "+14155550199", "From": "+14155550100", "Body": "Your order ships today.", **form}
    return api.post(MESSAGES, data=fields, auth=TWILIO_AUTH)


def whatsapp_send(api: httpx.Client, text: str = "Hello", to: str = "16505551234") -> httpx.Response:
    payload = {"messaging_product": "whatsapp", "to": to, "type": "text", "text": {"body": text}}
    return api.post(WHATSAPP_SEND, json=payload, headers=BEARER)


# --- signatures and webhook bodies against the fixture vectors ---


@pytest.mark.parametrize(
    "vector", fixture_json("twilio/signatures.json")["vectors"], ids=lambda v: v["url"][-9:]
)
def test_twilio_signer_reproduces_every_vector(vector: dict) -> None:
    token = fixture_json("twilio/signatures.json")["auth_token"]
    form = parse_qsl(fixture_bytes(f"twilio/{vector['file']}").decode(), keep_blank_values=True)

    assert webhooks.twilio_signature(token, vector["url"], form) == vector["X-Twilio-Signature"]
    assert webhooks.twilio_signature(token, vector["url"], dict(form)) == vector["X-Twilio-Signature"]
    _, headers = webhooks.signed_request(vector["url"], "twilio", form, token)
    assert headers["X-Twilio-Signature"] == vector["X-Twilio-Signature"]


@pytest.mark.parametrize("vector", fixture_json("meta/signatures.json")["vectors"], ids=lambda v: v["file"])
def test_meta_signer_reproduces_every_vector(vector: dict) -> None:
    secret = fixture_json("meta/signatures.json")["app_secret"]
    body = fixture_bytes(f"meta/{vector['file']}")

    assert webhooks.meta_signature(secret, body) == vector["X-Hub-Signature-256"]
    content, headers = webhooks.signed_request("https://desk.example.com/hooks/", "whatsapp", body, secret)
    assert content == body and headers["X-Hub-Signature-256"] == vector["X-Hub-Signature-256"]


def test_twilio_builders_reproduce_the_fixture_forms_byte_for_byte() -> None:
    mms = webhooks.twilio_inbound_sms(
        "+14155550100",
        "+14155550199",
        "Here is the damaged box",
        media=[
            (
                "https://api.twilio.com/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/"
                "MM1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f/Media/ME0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                "image/jpeg",
            )
        ],
        message_sid="MM1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f",
    )
    service = webhooks.twilio_inbound_sms(
        "+14155550101",
        "+14155550177",
        "STOP? no wait, I still want updates",
        messaging_service_sid="MGbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        message_sid="SM0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a",
    )
    sid = "SMc0ffee0c0ffee0c0ffee0c0ffee0c0ff"
    parties = {"to": "+14155550199", "from_": "+14155550100"}

    assert urlencode(mms).encode() == fixture_bytes("twilio/inbound_mms.form")
    assert urlencode(service).encode() == fixture_bytes("twilio/inbound_sms_messaging_service.form")
    for status, code, file in [
        ("sent", None, "status_sent"),
        ("delivered", None, "status_delivered"),
        ("undelivered", 30003, "status_undelivered_30003"),
    ]:
        form = webhooks.twilio_status(sid, status, code, **parties)
        assert urlencode(form).encode() == fixture_bytes(f"twilio/{file}.form")


def test_whatsapp_builders_reproduce_the_fixture_bodies_byte_for_byte() -> None:
    phone, wa_id, name = "106540352242922", "16505551234", "Sheena Nelson"
    built = {
        "whatsapp_text.json": webhooks.whatsapp_text(
            phone,
            wa_id,
            name,
            "Does it come in another color? 🎨",
            wamid="wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUZBMDdDOUY1RDg4QzM0RkI0MwA=",
            timestamp="1795103400",
        ),
        "whatsapp_image.json": webhooks.whatsapp_image(
            phone,
            wa_id,
            name,
            "1003383421387256",
            caption="this one",
            wamid="wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzRUIwQjk4NkE2QjFCMjY1RDFFRgA=",
            timestamp="1795103460",
            sha256="4c0a0d9f2e4b8e51c6d3d5b1a7f9f1e2b7c3a9d8e6f5a4b3c2d1e0f9a8b7c6d5",
        ),
        "whatsapp_status_delivered.json": webhooks.whatsapp_status(
            phone,
            "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI4QzYxNTRCRjI0NUEzRTg3MDQA",
            "delivered",
            wa_id,
            "1795103520",
            conversation_id="4d4e3c5f1b2a3c4d5e6f7a8b9c0d1e2f",
        ),
        "whatsapp_status_failed_131047.json": webhooks.whatsapp_status(
            phone,
            "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJBQjZERkYzNkM0MTlBNTM2MzIA",
            "failed",
            wa_id,
            1795190000,
            131047,
        ),
    }
    for file, body in built.items():
        assert body == fixture_bytes(f"meta/{file}"), file


def test_messenger_and_instagram_builders_reproduce_the_fixture_bodies_byte_for_byte() -> None:
    built = {
        "messenger_text.json": webhooks.messenger_text(
            "1122334455667788",
            "6789012345678901",
            "hello, is anyone there?",
            "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P",
            time_ms=1795103400000,
        ),
        "messenger_image.json": webhooks.messenger_image(
            "1122334455667788",
            "6789012345678901",
            "https://scontent.example-cdn.net/v/t1.15752-9/photo.jpg",
            "m_BH6Iz3Vr8uvxOFiYgZZLk9nKFN_RQqa6keDL59QoLBkTekgjqryrNwL9nb7BD9gqmxmrMQ_6dhYJcv8J4sCO1Q",
            time_ms=1795103460000,
        ),
        "instagram_text.json": webhooks.instagram_text(
            "17841400000000000",
            "5566778899001122",
            "Do you ship to Canada?",
            fixture_json("meta/instagram_text.json")["entry"][0]["messaging"][0]["message"]["mid"],
            time_ms=1795103700000,
        ),
    }
    for file, body in built.items():
        assert body == fixture_bytes(f"meta/{file}"), file


def test_telegram_builders_match_the_fixture_updates() -> None:
    text = webhooks.telegram_text(
        987654321,
        111222333,
        "Ana",
        "Olá! Preciso de ajuda com minha assinatura",
        last_name="Silva",
        username="anasilva",
        language_code="pt-br",
        message_id=1365,
        date=1795103800,
    )
    fixture_photo = fixture_json("telegram/update_photo.json")
    photo = webhooks.telegram_photo(
        987654322,
        111222333,
        "Ana",
        "AgACAgQAAxkBAAIBXmVhc2Rm_large",
        "erro na tela",
        sizes=fixture_photo["message"]["photo"],
        language_code="pt-br",
        message_id=1366,
        date=1795103860,
    )

    assert json.loads(text) == fixture_json("telegram/update_text.json")
    assert json.loads(photo) == fixture_photo


def test_post_signed_sends_each_providers_headers(fake: FakeProvider) -> None:
    captured = CaptureServer()
    try:
        webhooks.post_signed(captured.url + "/t", "twilio", [("Body", "hi")], TWILIO_AUTH_TOKEN)
        webhooks.post_signed(captured.url + "/m", "messenger", b'{"object":"page"}', "secret")
        webhooks.post_signed(captured.url + "/g", "telegram", b"{}", "tg-secret")
    finally:
        captured.stop()
    twilio_post, meta_post, telegram_post = captured.received

    assert twilio_post["body"] == b"Body=hi"
    expected = webhooks.twilio_signature(TWILIO_AUTH_TOKEN, captured.url + "/t", [("Body", "hi")])
    assert twilio_post["headers"]["x-twilio-signature"] == expected
    assert meta_post["headers"]["x-hub-signature-256"] == webhooks.meta_signature(
        "secret", b'{"object":"page"}'
    )
    assert telegram_post["headers"]["x-telegram-bot-api-secret-token"] == "tg-secret"


# --- Twilio ---


def test_twilio_send_answers_201_in_the_real_shape_and_is_recorded(
    fake: FakeProvider, api: httpx.Client
) -> None:
    response = twilio_send(api, MediaUrl="https://desk.example.com/media/a.jpg")

    assert response.status_code == 201
    answer = response.json()
    assert list(answer) == list(fixture_json("twilio/send_201.json"))
    assert answer["sid"].startswith("MM") and len(answer["sid"]) == 34
    assert (answer["status"], answer["num_media"], answer["from"]) == ("queued", "1", "+14155550100")
    [send] = fake.sends()
    assert (send["provider"], send["id"], send["to"]) == ("twilio", answer["sid"], "+14155550199")
    assert send["media"] == ["https://desk.example.com/media/a.jpg"]
    assert send["raw"]["headers"]["authorization"].startswith("Basic ")
    assert send["raw"]["form"]["Body"] == ["Your order ships today."]
    assert twilio_send(api).json()["sid"].startswith("SM")


@pytest.mark.parametrize(
    ("body", "segments"),
    [
        ("a" * 160, "1"),
        ("a" * 161, "2"),
        ("{" * 80, "1"),
        ("{" * 81, "2"),
        ("é😕" * 23, "1"),
        ("ą" * 71, "2"),
    ],
)
def test_twilio_counts_segments_as_gsm7_or_ucs2(api: httpx.Client, body: str, segments: str) -> None:
    assert twilio_send(api, Body=body).json()["num_segments"] == segments


def test_twilio_refuses_bad_credentials_with_20003_and_accepts_nothing(
    fake: FakeProvider, api: httpx.Client
) -> None:
    response = api.post(
        MESSAGES, data={"To": "+14155550199", "Body": "x"}, auth=(TWILIO_ACCOUNT_SID, "wrong")
    )

    assert response.status_code == 401
    assert response.json()["code"] == 20003
    assert fake.sends() == []
    assert [r["status"] for r in fake.requests()] == [401]


def test_twilio_validation_errors_have_the_real_shape(fake: FakeProvider, api: httpx.Client) -> None:
    invalid = twilio_send(api, To="+1415555")
    too_long = twilio_send(api, Body="x" * 1601)

    assert invalid.status_code == 400
    assert invalid.json() == {
        **fixture_json("twilio/send_400_21211.json"),
        "message": invalid.json()["message"],
    }
    assert invalid.json()["message"] == "Invalid 'To' Phone Number: +141XXXX"
    assert (too_long.status_code, too_long.json()["code"]) == (400, 21617)
    assert fake.sends() == []


def test_twilio_lists_accepted_messages_for_reconciliation(api: httpx.Client) -> None:
    first = twilio_send(api, Body="first").json()
    twilio_send(api, To="+14155550188", Body="elsewhere")
    second = twilio_send(api, Body="second").json()
    today = time.strftime("%Y-%m-%d", time.gmtime())

    listed = api.get(MESSAGES, params={"To": "+14155550199", "DateSent>": today}, auth=TWILIO_AUTH).json()
    fetched = api.get(MESSAGES.replace(".json", f"/{first['sid']}.json"), auth=TWILIO_AUTH).json()
    tomorrow = api.get(MESSAGES, params={"DateSent>": "2999-01-01"}, auth=TWILIO_AUTH).json()

    assert [m["sid"] for m in listed["messages"]] == [second["sid"], first["sid"]]  # newest first
    assert listed["messages"][0]["status"] == "sent" and listed["messages"][0]["date_sent"]
    assert {"first_page_uri", "next_page_uri", "page", "page_size", "uri"} <= set(listed)
    assert fetched["body"] == "first"
    assert tomorrow["messages"] == []


def test_twilio_media_serves_a_registered_blob(fake: FakeProvider, api: httpx.Client) -> None:
    media = fake.add_media("ME0a1b2c3d4e5f60718293a4b5c6d7e8f9", b"\xff\xd8jpeg", "image/jpeg")

    form = webhooks.twilio_inbound_sms("+14155550100", "+14155550199", "box", media=[media])
    response = httpx.get(dict(form)["MediaUrl0"], auth=TWILIO_AUTH)

    assert dict(form)["MediaContentType0"] == "image/jpeg"
    assert (response.status_code, response.content) == (200, b"\xff\xd8jpeg")
    assert response.headers["content-type"] == "image/jpeg"


def test_twilio_status_callbacks_are_posted_and_signed(fake: FakeProvider, api: httpx.Client) -> None:
    captured = CaptureServer()
    fake.behave(status_callbacks=True, status_callback_delay_ms=10)
    callback_url = captured.url + "/hooks/twilio/sms-main/"
    try:
        sid = twilio_send(api, StatusCallback=callback_url).json()["sid"]
        captured.wait_for(2)
        # The fake records each callback's answer once the POST returns: after the capture saw it.
        wait_until(lambda: len(fake.callbacks()) == 2, seconds=5)
    finally:
        captured.stop()

    for posted, status in zip(captured.received, ["sent", "delivered"], strict=True):
        form = parse_qsl(posted["body"].decode())
        assert form == webhooks.twilio_status(sid, status, to="+14155550199", from_="+14155550100")
        signature = webhooks.twilio_signature(TWILIO_AUTH_TOKEN, callback_url, form)
        assert posted["headers"]["x-twilio-signature"] == signature
    assert fake.sends()[0]["status"] == "delivered"
    assert [c["status"] for c in fake.callbacks()] == [200, 200]


# --- Meta Graph ---


def test_whatsapp_send_answers_like_the_fixture(fake: FakeProvider, api: httpx.Client) -> None:
    response = whatsapp_send(api, "Hi Sheena")

    answer = response.json()
    shape = fixture_json("meta/whatsapp_send_200.json")
    assert response.status_code == 200
    assert {**answer, "messages": shape["messages"]} == shape
    assert answer["messages"][0]["id"].startswith("wamid.")
    [send] = fake.sends("whatsapp")
    assert (send["id"], send["body"], send["account"]) == (
        answer["messages"][0]["id"],
        "Hi Sheena",
        "106540352242922",
    )


def test_whatsapp_template_is_rendered_and_an_unknown_one_refused(
    fake: FakeProvider, api: httpx.Client
) -> None:
    template = {
        "name": "order_update",
        "language": {"code": "en_US"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#7"}]}
        ],
    }
    payload = {"messaging_product": "whatsapp", "to": "16505551234", "type": "template", "template": template}
    sent = api.post(WHATSAPP_SEND, json=payload, headers=BEARER)
    unknown = api.post(
        WHATSAPP_SEND, json={**payload, "template": {**template, "name": "nope"}}, headers=BEARER
    )
    listed = api.get("/v21.0/102290129340398/message_templates", headers=BEARER).json()

    assert sent.status_code == 200
    assert fake.sends()[0]["body"] == "Hello Ana, your order #7 has shipped."
    assert unknown.json()["error"]["code"] == 132001
    assert {t["name"] for t in listed["data"]} >= {"order_update", "hello_world"}
    assert listed["data"][0]["components"][0]["type"] == "BODY" and listed["data"][0]["status"] == "APPROVED"


def test_graph_refuses_a_missing_or_wrong_token_with_190(fake: FakeProvider, api: httpx.Client) -> None:
    payload = {"messaging_product": "whatsapp", "to": "1", "type": "text", "text": {"body": "x"}}
    missing = api.post(WHATSAPP_SEND, json=payload)
    wrong = api.post("/v21.0/me/messages?access_token=nope", json={"recipient": {"id": "1"}})

    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == 190
    assert fake.sends() == []


def test_whatsapp_outside_the_window_is_131047_like_the_fixture(
    fake: FakeProvider, api: httpx.Client
) -> None:
    fake.behave(outside_window=["16505551234"])

    error = whatsapp_send(api).json()["error"]

    expected = fixture_json("meta/whatsapp_send_400_131047.json")["error"]
    assert {**error, "fbtrace_id": expected["fbtrace_id"]} == expected


def test_whatsapp_media_id_resolves_to_a_url_that_needs_the_token(
    fake: FakeProvider, api: httpx.Client
) -> None:
    fake.add_media("1003383421387256", b"png-bytes", "image/png")

    described = api.get("/v21.0/1003383421387256", headers=BEARER).json()
    without_token = api.get(described["url"])
    with_token = api.get(described["url"], headers=BEARER)

    assert described["url"] == f"{fake.url}/_media/1003383421387256"
    assert (described["mime_type"], described["file_size"], described["messaging_product"]) == (
        "image/png",
        9,
        "whatsapp",
    )
    assert without_token.status_code == 401
    assert (with_token.status_code, with_token.content) == (200, b"png-bytes")


def test_messenger_send_answers_like_the_fixture_and_respects_the_window(
    fake: FakeProvider, api: httpx.Client
) -> None:
    fake.behave(outside_window=["6789012345678901"])
    message = {"recipient": {"id": "6789012345678901"}, "message": {"text": "Back to you"}}

    refused = api.post(f"/v21.0/me/messages?access_token={GRAPH_ACCESS_TOKEN}", json=message)
    tagged = api.post(
        "/v21.0/me/messages",
        json={**message, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"},
        headers=BEARER,
    )

    expected = fixture_json("meta/messenger_send_400_outside_window.json")["error"]
    assert refused.status_code == 400
    assert {**refused.json()["error"], "fbtrace_id": expected["fbtrace_id"]} == expected
    assert tagged.status_code == 200
    assert set(tagged.json()) == set(fixture_json("meta/messenger_send_200.json"))
    assert tagged.json()["recipient_id"] == "6789012345678901"
    [send] = fake.sends("messenger")
    assert (send["id"], send["tag"]) == (tagged.json()["message_id"], "HUMAN_AGENT")


# --- Telegram ---


def test_telegram_send_message_answers_like_the_fixture(fake: FakeProvider, api: httpx.Client) -> None:
    first = api.post(f"{TELEGRAM}/sendMessage", json={"chat_id": 111222333, "text": "Oi Ana!"}).json()
    second = api.post(f"{TELEGRAM}/sendMessage", data={"chat_id": "111222333", "text": "Mais"}).json()
    typing = api.post(f"{TELEGRAM}/sendChatAction", json={"chat_id": 111222333, "action": "typing"}).json()

    shape = fixture_json("telegram/send_200.json")
    assert set(first) == set(shape) and set(first["result"]) == set(shape["result"])
    assert first["result"]["chat"]["id"] == 111222333 and first["result"]["from"]["is_bot"] is True
    assert second["result"]["message_id"] > first["result"]["message_id"]
    assert typing == {"ok": True, "result": True}
    assert [s["body"] for s in fake.sends(since=1)] == ["Mais"]  # a chat action is not a send
    assert [(s["id"], s["body"]) for s in fake.sends("telegram")] == [
        (str(first["result"]["message_id"]), "Oi Ana!"),
        (str(second["result"]["message_id"]), "Mais"),
    ]


def test_telegram_blocked_chat_is_403_like_the_fixture(fake: FakeProvider, api: httpx.Client) -> None:
    fake.behave(blocked_chats=["111222333"])

    response = api.post(f"{TELEGRAM}/sendMessage", json={"chat_id": 111222333, "text": "?"})

    assert response.status_code == 403
    assert response.json() == fixture_json("telegram/send_403_blocked.json")
    assert fake.sends() == []


def test_telegram_get_file_then_download(fake: FakeProvider, api: httpx.Client) -> None:
    media = fake.add_media("AgACAgQAAxkBAAIBXmVhc2Rm_large", b"photo", "image/jpeg")

    found = api.get(f"{TELEGRAM}/getFile", params={"file_id": media["telegram_file_id"]}).json()
    download = api.get(f"/file{TELEGRAM}/{found['result']['file_path']}")
    wrong_token = api.get("/bot1:nope/getFile", params={"file_id": media["telegram_file_id"]})

    assert found["result"]["file_path"] == media["telegram_file_path"] == "photos/file_1.jpg"
    assert (download.status_code, download.content) == (200, b"photo")
    assert wrong_token.status_code == 401


# --- scripted faults, latency and the accepted-before-answered rule ---


def test_scripted_faults_are_consumed_in_order_then_normal(fake: FakeProvider, api: httpx.Client) -> None:
    fake.behave(
        script=[
            {"match": "twilio", "respond": "429"},
            {"match": "*", "respond": "500", "times": 2},
            {"match": "telegram", "respond": "429"},
        ]
    )

    limited, failed, graph_failed, passed = (
        twilio_send(api),
        twilio_send(api),
        whatsapp_send(api),
        twilio_send(api),
    )
    telegram_limited = api.post(f"{TELEGRAM}/sendMessage", json={"chat_id": 1, "text": "x"})

    assert (limited.status_code, limited.json()) == (429, fixture_json("twilio/send_429.json"))
    assert failed.status_code == 500
    assert failed.json() == {
        "code": 20500,
        "message": "Internal Server Error",
        "more_info": "https://www.twilio.com/docs/errors/20500",
        "status": 500,
    }
    assert graph_failed.status_code == 500
    assert {k: graph_failed.json()["error"][k] for k in ("code", "is_transient", "type")} == {
        "code": 1,
        "is_transient": True,
        "type": "OAuthException",
    }
    assert passed.status_code == 201
    assert (telegram_limited.status_code, telegram_limited.json()) == (
        429,
        fixture_json("telegram/send_429.json"),
    )
    assert [s["id"] for s in fake.sends()] == [passed.json()["sid"]]
    assert [(r["provider"], r["status"], r["fault"]) for r in fake.requests()] == [
        ("twilio", 429, "429"),
        ("twilio", 500, "500"),
        ("whatsapp", 500, "500"),
        ("twilio", 201, None),
        ("telegram", 429, "429"),
    ]


def test_named_errors_answer_each_providers_fixture(fake: FakeProvider, api: httpx.Client) -> None:
    fake.behave(
        script=[
            {"match": "whatsapp", "respond": "error:131047"},
            {"match": "whatsapp", "respond": "429"},
            {"match": "telegram", "respond": "error:blocked"},
            {"match": "messenger", "respond": "error:outside_window"},
            {"match": "whatsapp", "respond": "503"},
        ]
    )

    window, limited = whatsapp_send(api), whatsapp_send(api)
    blocked = api.post(f"{TELEGRAM}/sendMessage", json={"chat_id": 1, "text": "x"})
    outside = api.post(
        "/v21.0/me/messages", json={"recipient": {"id": "1"}, "message": {"text": "x"}}, headers=BEARER
    )
    unavailable = whatsapp_send(api)

    def without_trace(response: httpx.Response) -> dict:
        return {k: v for k, v in response.json()["error"].items() if k != "fbtrace_id"}

    def fixture_error(name: str) -> dict:
        return {k: v for k, v in fixture_json(f"meta/{name}")["error"].items() if k != "fbtrace_id"}

    assert (window.status_code, without_trace(window)) == (
        400,
        fixture_error("whatsapp_send_400_131047.json"),
    )
    assert (limited.status_code, without_trace(limited)) == (
        429,
        fixture_error("whatsapp_send_429_130429.json"),
    )
    assert (blocked.status_code, blocked.json()) == (403, fixture_json("telegram/send_403_blocked.json"))
    assert without_trace(outside) == fixture_error("messenger_send_400_outside_window.json")
    assert (unavailable.status_code, unavailable.json()["error"]["code"]) == (503, 2)
    assert fake.sends() == []


def test_faults_for_sends_leave_lookups_alone_unless_asked(fake: FakeProvider, api: httpx.Client) -> None:
    fake.behave(script=[{"match": "twilio", "respond": "503", "calls": "other"}])

    sent = twilio_send(api)
    listed = api.get(MESSAGES, auth=TWILIO_AUTH)

    assert (sent.status_code, listed.status_code) == (201, 503)


def test_a_send_is_accepted_before_the_latency_and_the_answer(fake: FakeProvider, api: httpx.Client) -> None:
    fake.behave(latency_ms=[1500, 1500])

    with httpx.Client(base_url=fake.url, timeout=0.2) as impatient, pytest.raises(httpx.ReadTimeout):
        twilio_send(impatient, Body="lost")

    [send] = fake.sends()
    [request] = fake.requests()
    assert send["body"] == "lost"
    assert request["accepted_id"] == send["id"] and request["status"] is None  # not answered yet


def test_latency_applies_to_api_calls_not_to_control(fake: FakeProvider, api: httpx.Client) -> None:
    fake.behave(latency_ms=[400, 400])
    control = FakeProviderClient(fake.url)

    started = time.monotonic()
    control.sends()
    control_took = time.monotonic() - started
    started = time.monotonic()
    whatsapp_send(api)
    api_took = time.monotonic() - started
    control.close()

    assert control_took < 0.4 <= api_took  # latency would have made the control call take 0.4 s too


def test_timeout_accepts_then_answers_late_and_stop_interrupts_it() -> None:
    fake = FakeProvider().start()
    fake.behave(script=[{"match": "twilio", "respond": "timeout", "times": 2}], timeout_seconds=0.4)
    with httpx.Client(base_url=fake.url, timeout=5) as patient:
        started = time.monotonic()
        late = twilio_send(patient, Body="late")
        late_after = time.monotonic() - started
    fake.behave(timeout_seconds=30)
    with httpx.Client(base_url=fake.url, timeout=0.3) as impatient, pytest.raises(httpx.ReadTimeout):
        twilio_send(impatient, Body="never answered")
    started = time.monotonic()
    fake.stop()

    assert late.status_code == 201 and late_after >= 0.4
    assert time.monotonic() - started < 2
    assert [s["body"] for s in fake.sends()] == ["late", "never answered"]


def test_drop_hangs_up_before_accepting_and_lost_after(fake: FakeProvider, api: httpx.Client) -> None:
    fake.behave(script=[{"match": "telegram", "respond": "drop"}, {"match": "telegram", "respond": "lost"}])

    for text in ("dropped", "lost"):
        with pytest.raises(httpx.RemoteProtocolError):
            api.post(f"{TELEGRAM}/sendMessage", json={"chat_id": 1, "text": text})

    assert [s["body"] for s in fake.sends()] == ["lost"]
    assert [r["status"] for r in fake.requests()] == ["dropped", "dropped"]


def test_error_rate_answers_random_5xx(fake: FakeProvider, api: httpx.Client) -> None:
    fake.behave(error_rate=1.0)

    assert twilio_send(api).status_code == 500
    fake.reset()
    assert twilio_send(api).status_code == 201
    assert len(fake.requests()) == 1


def test_behaviour_is_validated(fake: FakeProvider) -> None:
    for bad in (
        {"script": [{"match": "sms", "respond": "500"}]},
        {"script": [{"match": "*", "respond": "error:no_such_error"}]},
        {"script": [{"match": "*", "respond": "418"}]},
        {"latency_ms": [300, 100]},
        {"colour": "blue"},
    ):
        with pytest.raises(ValueError):
            fake.behave(**bad)
    with FakeProviderClient(fake.url) as client, pytest.raises(ValueError, match="400"):
        client.behave(script=[{"match": "*", "respond": "nonsense"}])


# --- another process, driven through the control API ---


def test_a_fake_in_another_process_is_driven_by_the_client() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator.fake_provider", "--port", "0", "--latency-ms", "0-5"],
        cwd=MAIN,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with FakeProviderClient(url) as client, httpx.Client(base_url=url, timeout=5) as api:
            assert client.behaviour()["latency_ms"] == [0, 5]
            client.behave(script=[{"match": "telegram", "respond": "503"}])
            media = client.add_media("doc-1", b"%PDF", "application/pdf")
            refused = api.post(f"{TELEGRAM}/sendMessage", json={"chat_id": 5, "text": "a"})
            accepted = api.post(f"{TELEGRAM}/sendDocument", json={"chat_id": 5, "document": media["url"]})

            assert (refused.status_code, accepted.status_code) == (503, 200)
            assert [s["media"] for s in client.wait_for_sends(1, provider="telegram")] == [[media["url"]]]
            assert [r["status"] for r in client.requests("telegram")] == [503, 200]
            assert api.get(f"/file{TELEGRAM}/{media['telegram_file_path']}").content == b"%PDF"
            client.reset()
            assert client.sends() == [] and client.requests() == []
            assert client.behaviour()["latency_ms"] == [0, 5]  # reset keeps how it was started
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0


# --- a webhook receiver for the tests above ---


class CaptureServer:
    """Records what is POSTed to it and answers 200, as Parley's webhook endpoint would."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                received.append({"path": self.path, "headers": headers, "body": body})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.received) >= count

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
