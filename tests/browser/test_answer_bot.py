"""The answer bot's acceptance journeys on the real stack: a live Daphne, a real Celery worker that
takes the bot's turns and sends its SMS (tests/browser/conftest.py, celery_worker), Chromium for
the widget visitor, the agent's desk and the SMS customer's phone (the provider simulator's page,
whose customer messages reach Parley as Twilio's signed webhooks and whose phone shows what the
fake Twilio accepted from the worker). Nothing of ours is mocked. Screenshots of each journey's
key moment go to test-artifacts/answer-bot-*.png.
"""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from answerbot.models import AnswerBot, Episode
from conversations.models import Conversation, Inbox, Message
from knowledge import services as knowledge
from knowledge.models import Portal
from simulator import runtime as simulator_runtime
from simulator.fake_provider import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
from simulator.runtime import Simulator
from tests.browser import test_desk as desk_journeys
from tests.browser import test_widget as widget_journeys
from tests.browser.test_desk import new_agent
from tests.browser.test_widget import Widget, wait_until
from tests.factories.conversations import InboxFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
visit = widget_journeys.visit  # the visitor: the host page with the widget
open_desk = desk_journeys.open_desk  # an agent's desk, signed in through the login page

QUESTION = "I forgot my password and now I can't log in"
ARTICLE_LINK = re.compile(r"/help/acme/en/articles/reset-your-password/$")
SOLVED, PERSON = "Yes, that solved it", "No, talk to a person"
CUSTOMER_PHONE = "+14155550142"


@pytest.fixture(scope="module")
def simulator(parley) -> Iterator[Simulator]:
    """The provider simulator, as `make run` starts it: a fake Twilio in this process whose
    customers' webhooks go to the live Parley. It runs for the module because the worker, started
    once per module, must send to it."""
    running = simulator_runtime.start(parley_url=parley.http)
    yield running
    simulator_runtime.stop()


@pytest.fixture(scope="module")
def celery_worker_env(simulator) -> dict[str, str]:
    return {"TWILIO_API_URL": simulator.provider.url}


@pytest.fixture
def help_center(inbox) -> Portal:
    portal = knowledge.portal_create(name="Acme Help", slug="acme", inboxes=[inbox])
    account = knowledge.category_create(portal=portal, name="Your account")
    knowledge.article_create(
        portal=portal,
        category=account,
        title="Reset your password",
        description="Get back into your account in two minutes.",
        body="Open **Settings**, choose *Security*, then **Reset password**. We email you a link.",
        author=None,
        status="published",
        questions=["I forgot my password", "How do I get back into my account?", "I can't log in"],
    )
    knowledge.article_create(
        portal=portal,
        category=account,
        title="Track your order",
        body="Every order has a tracking link in its confirmation email.",
        author=None,
        status="published",
        questions=["Where is my parcel?", "My order has not arrived"],
    )
    return portal


@pytest.fixture
def bot(inbox, help_center) -> AnswerBot:
    return AnswerBot.objects.create(inbox=inbox, enabled=True, portal=help_center)


def ask_the_bot(widget: Widget) -> Conversation:
    """The visitor asks QUESTION; the bot answers with the article and its two replies."""
    widget.open()
    widget.start_conversation()
    widget.send(QUESTION)
    widget.expect_sent(QUESTION)
    answer = widget.ui.locator("#messages .message.theirs", has_text="Here is what I found")
    expect(answer).to_have_count(1)
    expect(answer).to_contain_text("Reset your password")
    expect(answer).to_contain_text("Did that solve it?")
    expect(answer.get_by_role("link")).to_have_attribute("href", ARTICLE_LINK)
    for title in (SOLVED, PERSON):
        expect(widget.ui.get_by_role("button", name=title)).to_be_enabled()
    return Message.objects.get(body=QUESTION).conversation


def test_a_visitor_is_answered_by_the_bot_and_confirming_resolves_it(visit, bot, celery_worker, artifacts):
    widget = visit()
    conversation = ask_the_bot(widget)
    assert conversation.bot_active
    widget.iframe.screenshot(path=str(artifacts / "answer-bot-widget-answer.png"))

    widget.ui.get_by_role("button", name=SOLVED).click()
    widget.expect_sent(SOLVED)  # a tapped reply is the visitor's message, its title the text
    expect(widget.ui.locator("#messages .message.theirs", has_text="Glad that helped")).to_have_count(1)
    expect(widget.ui.get_by_text("This conversation is resolved.")).to_be_visible()
    expect(widget.ui.locator("#messages .actions button")).to_have_count(0)  # nothing left to pick

    def resolved() -> bool:
        return Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.RESOLVED

    wait_until(resolved, page=widget.page)
    episode = Episode.objects.get(conversation=conversation)
    assert episode.outcome == Episode.Outcome.RESOLVED_CONFIRMED and episode.ended_at is not None
    assert episode.offered_article_ids and episode.question == QUESTION


def test_a_visitor_who_asks_for_a_person_is_handed_to_an_agent_who_reads_the_summary_and_replies(
    visit, open_desk, inbox, bot, celery_worker, artifacts
):
    ana = new_agent("Ana", inbox)
    desk = open_desk(ana)
    widget = visit()
    conversation = ask_the_bot(widget)
    row = desk.row(conversation)
    expect(row.locator(".bot-badge")).to_have_text("With bot")

    widget.send("I want to talk to a person")
    handing_off = widget.ui.locator("#messages .message.theirs", has_text="passing you to a person")
    expect(handing_off).to_have_count(1)

    # The desk hears of the hand-off from the event itself: the row leaves "With bot", a toast.
    expect(row.locator(".bot-badge")).to_have_count(0)
    toast = desk.page.locator("#toasts .toast", has_text=f"Bot handed off #{conversation.pk}")
    expect(toast).to_contain_text("asked for a person")
    desk.page.screenshot(path=str(artifacts / "answer-bot-desk-handoff-toast.png"))
    toast.get_by_role("link", name="Open").click()
    expect(desk.thread).to_have_attribute("data-conversation-id", str(conversation.pk))
    expect(desk.page.locator("#conv-header .bot-badge")).to_have_count(0)
    summary = desk.page.locator("#messages .entry.message.note", has_text="Bot summary")
    expect(summary).to_have_count(1)
    expect(summary).to_contain_text("the customer asked for a person")
    expect(summary).to_contain_text(f"Question: {QUESTION}")
    expect(summary).to_contain_text("Offered: Reset your password")
    desk.page.screenshot(path=str(artifacts / "answer-bot-desk-summary.png"))

    reply = "Hi, Ana here. I have reset it for you: check your inbox."
    desk.send(reply)
    expect(desk.message(reply)).to_have_count(1)
    answered = widget.message(reply, "theirs")
    expect(answered).to_have_count(1)
    expect(answered.locator(".sender")).to_contain_text("Ana")

    conversation.refresh_from_db()
    assert not conversation.bot_active
    episode = Episode.objects.get(conversation=conversation)
    assert (episode.outcome, episode.handoff_reason) == (
        Episode.Outcome.HANDED_OFF,
        Episode.HandoffReason.ASKED_FOR_PERSON,
    )


# --- SMS: the simulator's phone, Twilio's wire format both ways ---


@pytest.fixture
def sms_inbox(help_center) -> Inbox:
    """An SMS inbox on the fake Twilio's account (the simulator signs its webhooks with the token)."""
    inbox = InboxFactory(
        name="Acme SMS",
        channel_type="sms",
        public_key="acme-sms",
        config={
            "account_sid": TWILIO_ACCOUNT_SID,
            "auth_token": TWILIO_AUTH_TOKEN,
            "phone_number": "+14155550100",
        },
    )
    help_center.inboxes.add(inbox)
    AnswerBot.objects.create(inbox=inbox, enabled=True, portal=help_center)
    return inbox


class Phone:
    """The simulator page as the SMS customer uses it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.text = page.get_by_label("Message")
        self.replies = page.locator("#thread .bubble.out")

    def send(self, text: str) -> None:
        self.text.fill(text)
        self.page.get_by_role("button", name="Send", exact=True).click()
        expect(self.page.locator("#thread .bubble.in", has_text=text).last).to_have_class(
            re.compile(r"\bstored\b")  # Parley verified and stored the webhook
        )


def test_an_sms_customer_gets_numbered_replies_and_a_digit_hands_them_off(
    new_context, live_server, simulator, sms_inbox, celery_worker, artifacts
):
    page = new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.goto(f"{live_server.url}/simulator/")
    page.locator("#customer").fill(CUSTOMER_PHONE)
    page.locator("#customer").dispatch_event("change")
    phone = Phone(page)

    phone.send("My order has not arrived yet, where is my parcel?")
    answer = phone.replies.filter(has_text="Here is what I found")
    expect(answer).to_have_count(1)
    expect(answer).to_contain_text("Track your order")
    expect(answer).to_contain_text("Reply 1 for: Yes, that solved it")
    expect(answer).to_contain_text("Reply 2 for: No, talk to a person")
    page.screenshot(path=str(artifacts / "answer-bot-sms-phone.png"))

    [sent] = simulator.provider.sends("twilio")  # what the worker POSTed to Twilio's Messages API
    assert sent["to"] == CUSTOMER_PHONE and sent["account"] == TWILIO_ACCOUNT_SID
    assert re.search(r"/help/acme/en/articles/track-your-order/\n", sent["body"])

    phone.send("2")
    expect(phone.replies.filter(has_text="passing you to a person")).to_have_count(1)
    conversation = Conversation.objects.get(inbox=sms_inbox)
    assert not conversation.bot_active
    episode = Episode.objects.get(conversation=conversation)
    assert (episode.outcome, episode.handoff_reason) == (
        Episode.Outcome.HANDED_OFF,
        Episode.HandoffReason.NOT_SOLVED,
    )
    note = Message.objects.get(conversation=conversation, is_private=True)
    assert "did not solve it" in note.body and "Offered: Track your order" in note.body
    page.screenshot(path=str(artifacts / "answer-bot-sms-handoff.png"))

    # Twilio's status callbacks (signed, to the StatusCallback the worker named) mark both of the
    # bot's texts delivered, and the phone shows their ticks.
    bot_texts = Message.objects.filter(conversation=conversation, sender_kind=Message.SenderKind.BOT)

    def all_delivered() -> bool:
        statuses = set(bot_texts.values_list("delivery_status", flat=True))  # a fresh query each time
        return statuses == {Message.DeliveryStatus.DELIVERED}

    wait_until(all_delivered, page=page)
    assert bot_texts.count() == 2
    expect(phone.replies.locator("small span", has_text="✓✓")).to_have_count(2)
