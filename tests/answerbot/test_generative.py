"""Generated answers: written from the retrieved articles only, with their links; handed off when
the model says they do not cover it; and the articles quoted whenever the model cannot be used.

Against simulator.fake_chat, a local OpenAI-compatible endpoint speaking the real wire format
whose model answers only from the articles in its prompt.
"""

import time

import httpx
import pytest

from answerbot.generative import write_answer
from answerbot.models import Episode
from answerbot.services import bot_take_turn
from conversations.models import Conversation, Message
from conversations.services import message_receive
from knowledge.links import article_url
from knowledge.models import Article
from knowledge.search import SearchHit
from simulator.fake_chat import FakeChat
from tests.answerbot.conftest import publish

# A bot turn commits as the worker would (events and hand-offs run on commit), as in test_turns.
turns = pytest.mark.django_db(transaction=True)

PASSWORD_QUESTION = "I forgot my password, how can I get back in?"
PASSWORD_LINK = "http://127.0.0.1:8000/help/acme/en/articles/reset-your-password/"
TRACKING_LINK = "http://127.0.0.1:8000/help/acme/en/articles/track-your-order/"


def customer_says(inbox, contact, text: str) -> Message:
    message = message_receive(inbox=inbox, contact=contact, body=text)
    bot_take_turn(conversation_id=message.conversation_id)
    return message


def bot_lines(conversation_id: int) -> list[Message]:
    return list(Message.objects.filter(conversation_id=conversation_id, sender_kind="bot").order_by("seq"))


def final_statuses(fake: FakeChat) -> list:
    """Each call's status once the server has finished with it (a call it was still holding when it
    stopped finishes in the server's thread, a moment later)."""
    deadline = time.monotonic() + 2
    statuses = [call["status"] for call in fake.requests()]
    while None in statuses and time.monotonic() < deadline:
        time.sleep(0.01)
        statuses = [call["status"] for call in fake.requests()]
    return statuses


def articles_in_prompt(call: dict) -> list[str]:
    system = call["json"]["messages"][0]["content"]
    return [line.removeprefix("Article: ") for line in system.splitlines() if line.startswith("Article: ")]


@pytest.fixture
def chat_model(settings):
    with FakeChat() as fake:
        settings.PARLEY_GENERATIVE_BASE_URL = fake.base_url
        settings.PARLEY_GENERATIVE_API_KEY = fake.api_key
        settings.PARLEY_GENERATIVE_MODEL = "gpt-4o-mini"
        settings.PARLEY_GENERATIVE_TIMEOUT_SECONDS = 2.0
        settings.PUBLIC_URL = "http://127.0.0.1:8000"
        yield fake


@pytest.fixture
def writing_bot(bot):
    bot.generative = True
    bot.save()
    return bot


@turns
def test_a_covered_question_gets_a_written_answer_with_the_articles_link_and_a_yes_no_choice(
    writing_bot, chat_model, inbox, contact, bot_turns
):
    asked = customer_says(inbox, contact, PASSWORD_QUESTION)
    [answer] = bot_lines(asked.conversation_id)
    assert answer.body.startswith("Open Settings, choose Security, then Reset password. We email you a link.")
    assert answer.body.count(PASSWORD_LINK) == 1
    assert answer.body.endswith("Did that solve it?") and "Here is what I found" not in answer.body
    assert [action["id"] for action in answer.actions] == ["solved", "not_solved"]
    assert Conversation.objects.get(pk=asked.conversation_id).bot_active
    assert Episode.objects.get(conversation_id=asked.conversation_id).state == Episode.State.ANSWERED
    assert [call["status"] for call in chat_model.requests()] == [200]


@turns
def test_the_model_is_sent_the_retrieved_articles_only_with_the_key_and_temperature_zero(
    writing_bot, chat_model, help_center, inbox, contact, settings, bot_turns
):
    publish(help_center, "Refund policy", body="Refunds reach your card within five working days.")
    asked = customer_says(inbox, contact, PASSWORD_QUESTION)
    [call] = chat_model.requests()
    assert call["path"] == "/v1/chat/completions"
    assert call["headers"]["authorization"] == f"Bearer {chat_model.api_key}"
    request = call["json"]
    assert (request["model"], request["temperature"]) == ("gpt-4o-mini", 0)
    assert [message["role"] for message in request["messages"]] == ["system", "user"]
    assert request["messages"][1]["content"] == PASSWORD_QUESTION
    offered = Episode.objects.get(conversation_id=asked.conversation_id).offered_article_ids
    assert articles_in_prompt(call) == [Article.objects.get(pk=pk).title for pk in offered]
    assert "Reset your password" in articles_in_prompt(call)
    system = request["messages"][0]["content"]
    assert "Refunds reach your card" not in system and "Refund policy" not in system


@turns
def test_when_the_articles_do_not_cover_it_the_bot_hands_off_with_the_summary_note(
    writing_bot, chat_model, inbox, contact, bot_turns
):
    # Search finds "Track your order" by its question; its text never mentions a parcel.
    asked = customer_says(inbox, contact, "where is my parcel?")
    conversation = Conversation.objects.get(pk=asked.conversation_id)
    assert not conversation.bot_active
    episode = Episode.objects.get(conversation=conversation)
    assert (episode.outcome, episode.handoff_reason) == ("handed_off", "not_covered")
    note = Message.objects.filter(conversation=conversation, is_private=True, sender_kind="system").last()
    assert "Answer bot handed off: the generated answer found the articles do not cover it" in note.body
    assert "Question: where is my parcel?" in note.body and "Offered: Track your order" in note.body
    [handing_off] = bot_lines(conversation.pk)
    assert handing_off.body.startswith("I'm passing you to a person")
    assert not Message.objects.filter(conversation=conversation, body__contains="NOT_COVERED").exists()
    assert [call["status"] for call in chat_model.requests()] == [200]


@turns
def test_a_model_that_says_not_covered_loosely_still_hands_off_and_the_customer_never_reads_it(
    writing_bot, chat_model, inbox, contact, bot_turns
):
    chat_model.behave(script=["reply:NOT_COVERED."])
    asked = customer_says(inbox, contact, PASSWORD_QUESTION)
    episode = Episode.objects.get(conversation_id=asked.conversation_id)
    assert episode.handoff_reason == Episode.HandoffReason.NOT_COVERED
    assert not Message.objects.filter(
        conversation_id=asked.conversation_id, body__contains="NOT_COVERED"
    ).exists()


def _wrong_key(fake: FakeChat, settings) -> None:
    settings.PARLEY_GENERATIVE_API_KEY = "sk-proj-wrongwrongwrongwrong1234"


def _slow(fake: FakeChat, settings) -> None:
    fake.behave(slow_seconds=5)
    settings.PARLEY_GENERATIVE_TIMEOUT_SECONDS = 0.3


def _scripted(step: str):
    return lambda fake, settings: fake.behave(script=[step])


@turns
@pytest.mark.parametrize(
    ("make_it_fail", "status"),
    [
        pytest.param(_wrong_key, 401, id="401 wrong key"),
        pytest.param(_scripted("429"), 429, id="429 rate limited"),
        pytest.param(_scripted("500"), 500, id="500"),
        pytest.param(_scripted("502"), 502, id="502 html from a gateway"),
        pytest.param(_scripted("malformed"), 200, id="malformed body"),
        pytest.param(_scripted("truncated"), 200, id="answer cut short"),
        pytest.param(_scripted("drop"), "dropped", id="hung up"),
        pytest.param(_slow, "stopped", id="timeout"),
        pytest.param(
            _scripted("reply:Reset it at https://acme-help.example.com/reset"), 200, id="invented link"
        ),
    ],
)
def test_when_the_model_cannot_be_used_the_customer_still_gets_the_articles_quoted(
    make_it_fail, status, writing_bot, chat_model, inbox, contact, settings, bot_turns, caplog
):
    make_it_fail(chat_model, settings)
    started = time.monotonic()
    asked = customer_says(inbox, contact, PASSWORD_QUESTION)
    assert time.monotonic() - started < 2.5  # a slow model costs the timeout, not its own pace
    [answer] = bot_lines(asked.conversation_id)
    assert answer.body.startswith("Here is what I found:")
    assert "Reset your password" in answer.body and PASSWORD_LINK in answer.body
    assert "acme-help.example.com" not in answer.body
    assert [action["id"] for action in answer.actions] == ["solved", "not_solved"]
    assert Conversation.objects.get(pk=asked.conversation_id).bot_active
    assert [record.name for record in caplog.records if record.levelname == "WARNING"] == [
        "answerbot.generative"
    ]
    chat_model.stop()  # wakes a call still waiting out slow_seconds, so its outcome is recorded
    assert final_statuses(chat_model) == [status]


@turns
def test_the_warning_for_a_wrong_key_carries_the_apis_own_reason(
    writing_bot, chat_model, inbox, contact, settings, bot_turns, caplog
):
    _wrong_key(chat_model, settings)
    customer_says(inbox, contact, PASSWORD_QUESTION)
    [warning] = [record.getMessage() for record in caplog.records if record.name == "answerbot.generative"]
    assert "HTTP 401: invalid_api_key: Incorrect API key provided" in warning
    assert "wrongwrongwrong" not in warning  # the API masks the key; so does the log


@turns
def test_a_forgotten_link_is_added_from_the_best_article(writing_bot, chat_model, inbox, contact, bot_turns):
    chat_model.behave(cite_links=False)
    asked = customer_says(inbox, contact, PASSWORD_QUESTION)
    [answer] = bot_lines(asked.conversation_id)
    assert answer.body.startswith("Open Settings, choose Security")
    assert answer.body.count(PASSWORD_LINK) == 1


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(
            "Open Settings to reset it (see Reset your password). Track your order shows your parcel.",
            "Open Settings to reset it (see Reset your password). Track your order shows your parcel."
            f"\n\n{PASSWORD_LINK}\n{TRACKING_LINK}",
            id="names both: both links, in the articles' order",
        ),
        pytest.param(
            f"Your tracking link is in the confirmation email: {TRACKING_LINK}",
            f"Your tracking link is in the confirmation email: {TRACKING_LINK}",
            id="links the second: nothing added",
        ),
        pytest.param(
            f"See [Reset your password]({PASSWORD_LINK.rstrip('/')}).",
            f"See [Reset your password]({PASSWORD_LINK.rstrip('/')}).",
            id="links without the trailing slash: not repeated",
        ),
        pytest.param(
            "Open Settings, then Security.",
            f"Open Settings, then Security.\n\n{PASSWORD_LINK}",
            id="names none: the best article's link",
        ),
    ],
)
def test_every_article_the_answer_used_keeps_its_link(reply, expected, help_center, chat_model):
    hits = [
        SearchHit(article=Article.objects.get(title=title), score=1.0, snippet="", matched_question="")
        for title in ("Reset your password", "Track your order")
    ]
    assert [article_url(hit.article) for hit in hits] == [PASSWORD_LINK, TRACKING_LINK]
    chat_model.behave(script=[f"reply:{reply}"])
    assert write_answer(question="password and parcel", hits=hits) == expected


@turns
def test_a_local_server_that_needs_no_key_is_sent_none(
    writing_bot, chat_model, inbox, contact, settings, bot_turns
):
    chat_model.behave(require_key=False)
    settings.PARLEY_GENERATIVE_API_KEY = ""
    asked = customer_says(inbox, contact, PASSWORD_QUESTION)
    [call] = chat_model.requests()
    assert "authorization" not in call["headers"] and call["status"] == 200
    assert bot_lines(asked.conversation_id)[0].body.startswith("Open Settings")


@turns
@pytest.mark.parametrize("switched_off", ["no base url", "bot not generative"])
def test_generated_answers_off_never_call_the_model(
    switched_off, bot, chat_model, inbox, contact, settings, bot_turns
):
    if switched_off == "no base url":
        bot.generative = True
        bot.save()
        settings.PARLEY_GENERATIVE_BASE_URL = ""
    asked = customer_says(inbox, contact, PASSWORD_QUESTION)
    assert chat_model.requests() == []
    assert bot_lines(asked.conversation_id)[0].body.startswith("Here is what I found:")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param({"messages": [{"role": "user", "content": "hi"}]}, 400, None, id="no model"),
        pytest.param({"model": "gpt-4o-mini"}, 400, "missing_required_parameter", id="no messages"),
        pytest.param(
            {"model": "m", "messages": [{"role": "bot", "content": "hi"}]}, 400, "invalid_value", id="role"
        ),
        pytest.param(
            {"model": "m", "messages": [{"role": "user", "content": 7}]}, 400, "invalid_type", id="content"
        ),
    ],
)
def test_the_fake_refuses_what_the_real_endpoint_refuses_in_its_error_shape(body, status, code, chat_model):
    response = httpx.post(
        f"{chat_model.base_url}/chat/completions",
        json=body,
        headers={"Authorization": f"Bearer {chat_model.api_key}"},
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert (error["type"], error["code"]) == ("invalid_request_error", code)
