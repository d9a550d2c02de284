"""The fake provider takes buttons as the providers do: it records an inline keyboard, reply buttons
and quick replies as the send's "buttons", refuses malformed ones with the provider's own codes and
words (and accepts nothing then), and its tap builders reproduce the fixtures. No database."""

import json
from collections.abc import Iterator

import httpx
import pytest

from simulator.fake_provider import GRAPH_ACCESS_TOKEN, TELEGRAM_BOT_TOKEN, FakeProvider, taps
from tests.fixtures import fixture_bytes, fixture_json

BEARER = {"Authorization": f"Bearer {GRAPH_ACCESS_TOKEN}"}
WHATSAPP_SEND = "/v21.0/106540352242922/messages"
MESSENGER_SEND = "/v21.0/me/messages"
TELEGRAM = f"/bot{TELEGRAM_BOT_TOKEN}"
WAMID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI4QzYxNTRCRjI0NUEzRTg3MDQA"
KEYBOARD = fixture_json("telegram/send_200_inline_keyboard.json")["result"]["reply_markup"]


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def api(fake: FakeProvider) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=5) as client:
        yield client


def reply_buttons(*titles: str, body: str = "Did that solve it?") -> dict:
    buttons = [{"type": "reply", "reply": {"id": f"b{n}", "title": title}} for n, title in enumerate(titles)]
    interactive = {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}
    return {
        "messaging_product": "whatsapp",
        "to": "16505551234",
        "type": "interactive",
        "interactive": interactive,
    }


def quick_replies(*replies: dict) -> dict:
    return {
        "recipient": {"id": "6789012345678901"},
        "message": {"text": "Pick one", "quick_replies": list(replies)},
    }


def text_reply(title: str, payload: str = "p") -> dict:
    return {"content_type": "text", "title": title, "payload": payload}


# --- the tap builders ---


def test_the_tap_builders_reproduce_the_fixtures() -> None:
    messenger = taps.messenger_quick_reply(
        "1122334455667788",
        "6789012345678901",
        "Yes, that solved it",
        "solved",
        fixture_json("meta/messenger_quick_reply.json")["entry"][0]["messaging"][0]["message"]["mid"],
        time_ms=1795103520000,
    )
    instagram = taps.instagram_quick_reply(
        "17841400000000000",
        "5566778899001122",
        "No, talk to a person",
        "not_solved",
        fixture_json("meta/instagram_quick_reply.json")["entry"][0]["messaging"][0]["message"]["mid"],
        time_ms=1795103820000,
    )
    button_reply = taps.whatsapp_button_reply(
        "106540352242922",
        "16505551234",
        "Sheena Nelson",
        "not_solved",
        "No, talk to a person",
        WAMID,
        "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUI4RjE2QjcwRDlCNEM1MDI0OQA=",
        1795103580,
    )
    template_button = taps.whatsapp_template_button(
        "106540352242922",
        "16505551234",
        "Sheena Nelson",
        "Track my order",
        "Track my order",
        WAMID,
        "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUM1RTdBMjlGNDBCNkQ4MUUzNQA=",
        1795103640,
    )
    callback = fixture_json("telegram/update_callback_query.json")
    query = callback["callback_query"]
    telegram = taps.telegram_callback_query(
        987654324,
        111222333,
        "Ana",
        "solved",
        query["message"],
        query_id=query["id"],
        last_name="Silva",
        username="anasilva",
        language_code="pt-br",
    )

    assert messenger == fixture_bytes("meta/messenger_quick_reply.json")
    assert instagram == fixture_bytes("meta/instagram_quick_reply.json")
    assert button_reply == fixture_bytes("meta/whatsapp_button_reply.json")
    assert template_button == fixture_bytes("meta/whatsapp_template_button.json")
    assert json.loads(telegram) == callback


# --- Telegram ---


def test_telegram_records_an_inline_keyboard_and_echoes_it_like_the_fixture(
    fake: FakeProvider, api: httpx.Client
) -> None:
    as_json = api.post(
        f"{TELEGRAM}/sendMessage", json={"chat_id": 111222333, "text": "Did it?", "reply_markup": KEYBOARD}
    )
    as_form = api.post(
        f"{TELEGRAM}/sendMessage",
        data={"chat_id": "111222333", "text": "And now?", "reply_markup": json.dumps(KEYBOARD)},
    )

    shape = fixture_json("telegram/send_200_inline_keyboard.json")["result"]
    for answer in (as_json, as_form):
        assert answer.status_code == 200 and answer.json()["result"]["reply_markup"] == shape["reply_markup"]
    expected = [
        {"id": "solved", "title": "Yes, that solved it"},
        {"id": "not_solved", "title": "No, talk to a person"},
    ]
    assert [send["buttons"] for send in fake.sends("telegram")] == [expected, expected]


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        (
            {"inline_keyboard": [[{"text": "Yes", "callback_data": "x" * 65}]]},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        ({"inline_keyboard": [[{"text": "Yes", "callback_data": ""}]]}, "Bad Request: BUTTON_DATA_INVALID"),
        (
            {"inline_keyboard": [[{"text": "Yes"}]]},
            "Bad Request: text buttons are unallowed in the inline keyboard",
        ),
        (
            {"inline_keyboard": [{"text": "Yes", "callback_data": "y"}]},
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays',
        ),
        ("{not json", "Bad Request: can't parse reply keyboard markup JSON object"),
        (
            {"inline_keyboard": [[{"text": str(n), "callback_data": str(n)}] for n in range(101)]},
            "Bad Request: reply markup is too long",
        ),
    ],
    ids=["data past 64 bytes", "empty data", "no action", "not rows", "not JSON", "101 buttons"],
)
def test_telegram_refuses_a_malformed_keyboard_as_telegram_does(
    fake: FakeProvider, api: httpx.Client, markup: object, description: str
) -> None:
    answer = api.post(
        f"{TELEGRAM}/sendMessage", json={"chat_id": 111222333, "text": "Hi", "reply_markup": markup}
    )

    assert answer.status_code == 400
    assert answer.json() == {"ok": False, "error_code": 400, "description": description}
    if description.endswith("BUTTON_DATA_INVALID"):
        assert answer.json() == fixture_json("telegram/send_400_button_data_invalid.json")
    assert fake.sends("telegram") == []


# --- WhatsApp ---


def test_whatsapp_records_reply_buttons(fake: FakeProvider, api: httpx.Client) -> None:
    answer = api.post(WHATSAPP_SEND, json=reply_buttons("Yes", "No"), headers=BEARER)

    assert answer.status_code == 200
    [send] = fake.sends("whatsapp")
    assert (send["type"], send["body"], send["buttons"]) == (
        "interactive",
        "Did that solve it?",
        [{"id": "b0", "title": "Yes"}, {"id": "b1", "title": "No"}],
    )


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        (
            reply_buttons("Show me something else"),
            "Button title length invalid. Min length: 1, Max length: 20",
        ),
        (
            reply_buttons("A", "B", "C", "D"),
            "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3",
        ),
        (reply_buttons("Yes", body="x" * 1025), "Body text length invalid. Min length: 1, Max length: 1024"),
        (reply_buttons("Yes", "Yes"), "Button title is not unique"),
    ],
    ids=["title past 20", "four buttons", "body past 1024", "twin titles"],
)
def test_whatsapp_refuses_malformed_reply_buttons_with_131009(
    fake: FakeProvider, api: httpx.Client, payload: dict, details: str
) -> None:
    answer = api.post(WHATSAPP_SEND, json=payload, headers=BEARER)

    error = answer.json()["error"]
    assert (answer.status_code, error["code"], error["error_data"]["details"]) == (400, 131009, details)
    if details.startswith("Button title length"):
        expected = fixture_json("meta/whatsapp_send_400_131009_button_title.json")["error"]
        assert {**error, "fbtrace_id": expected["fbtrace_id"]} == expected
    assert fake.sends("whatsapp") == []


# --- Messenger and Instagram ---


def test_messenger_records_quick_replies_and_takes_a_long_title(
    fake: FakeProvider, api: httpx.Client
) -> None:
    replies = [text_reply("Yes", "solved"), text_reply("Show me something else, please", "other")]

    answer = api.post(MESSENGER_SEND, json=quick_replies(*replies), headers=BEARER)

    assert answer.status_code == 200
    [send] = fake.sends("messenger")
    assert send["buttons"] == [
        {"id": "solved", "title": "Yes"},
        {"id": "other", "title": "Show me something else, please"},
    ]


@pytest.mark.parametrize(
    ("replies", "code", "message"),
    [
        (
            [text_reply(str(n)) for n in range(14)],
            105,
            "(#105) param message[quick_replies] has too many elements",
        ),
        ([text_reply("")], 100, "(#100) param message[quick_replies][0][title] must be non-empty."),
        ([text_reply("Yes", "")], 100, "(#100) param message[quick_replies][0][payload] must be"),
        (
            [{"content_type": "button", "title": "Yes"}],
            100,
            "(#100) param message[quick_replies][0][content_type]",
        ),
    ],
    ids=["fourteen", "no title", "no payload", "unknown type"],
)
def test_messenger_refuses_malformed_quick_replies(
    fake: FakeProvider, api: httpx.Client, replies: list, code: int, message: str
) -> None:
    answer = api.post(MESSENGER_SEND, json=quick_replies(*replies), headers=BEARER)

    error = answer.json()["error"]
    assert (answer.status_code, error["code"]) == (400, code)
    assert error["message"].startswith(message)
    assert fake.sends("messenger") == []
