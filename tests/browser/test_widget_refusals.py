"""Every widget action Parley refuses says so where the visitor acted (issue 21, point 1): beside
the composer (#compose-error), in the pre-chat questions or the transcript card, in a region a
screen reader announces (role=alert), in words that say what to do; and what the visitor typed
stays. Each is driven through the widget on the host page, against the live Daphne. A screenshot
of a refusal goes to test-artifacts/."""

import re
import time

import pytest
from playwright.sync_api import Locator, expect

from conversations.models import Inbox, Message
from tests.browser import test_widget as widget_journeys
from tests.browser.test_widget import Widget
from tests.factories.conversations import InboxFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
visit = widget_journeys.visit  # the fixture: the host page with the widget
# At one instant: how many of the visitor's messages are acknowledged, and what the refusal says.
ACKNOWLEDGED_AND_SAID = """() => ({
  acknowledged: document.querySelectorAll('#messages .message.mine:not([data-seq=""])').length,
  said: document.getElementById("compose-error").textContent,
})"""


def expect_refusal(region: Locator, words: str | re.Pattern) -> None:
    """Shown, announced (role=alert) and saying `words`."""
    expect(region).to_be_visible()
    expect(region).to_have_attribute("role", "alert")
    expect(region).to_contain_text(words)


def in_a_conversation(widget: Widget) -> None:
    widget.open()
    widget.start_conversation()
    widget.send("Hello, I have a question")
    widget.expect_sent("Hello, I have a question")


def test_a_text_file_is_refused_beside_the_composer_with_what_to_send_instead(visit, artifacts):
    widget = visit()
    in_a_conversation(widget)
    widget.ui.locator("#file").set_input_files(
        files=[{"name": "order.txt", "mimeType": "text/plain", "buffer": b"order 1042"}]
    )

    expect_refusal(
        widget.ui.locator("#compose-error"),
        "Not sent: Files of type .txt cannot be sent here. Send an image (JPEG, PNG, GIF or WebP) or a PDF.",
    )
    expect(widget.ui.locator("#messages .message[data-status=failed]")).to_have_count(1)
    widget.iframe.screenshot(path=str(artifacts / "widget-refusal-file-type.png"))
    assert Message.objects.filter(attachments__isnull=False).count() == 0

    widget.send("Here is the order number instead: 1042")  # the next send that goes clears it
    widget.expect_sent("Here is the order number instead: 1042")
    expect(widget.ui.locator("#compose-error")).to_be_hidden()


def test_a_file_over_10_mb_is_refused_before_it_is_sent(visit):
    widget = visit()
    in_a_conversation(widget)
    uploads: list[str] = []
    widget.page.on(
        "request", lambda request: uploads.append(request.url) if "/messages" in request.url else None
    )
    widget.ui.locator("#file").set_input_files(
        files=[
            {
                "name": "tent.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-" + b"0" * (10 * 1024 * 1024),
            }
        ]
    )

    expect_refusal(widget.ui.locator("#compose-error"), "tent.pdf: files can be at most 10 MB")
    expect(widget.ui.locator("#messages .message[data-status=failed]")).to_have_count(1)
    assert uploads == []


def test_a_message_over_20000_characters_is_refused_and_stays_in_the_composer(visit):
    widget = visit()
    in_a_conversation(widget)
    too_long = "a" * 20_001
    widget.composer.fill(too_long)  # as a paste would: no maxlength cuts it silently
    widget.composer.press("Enter")

    expect_refusal(
        widget.ui.locator("#compose-error"),
        "A message can be at most 20,000 characters (20,001 now): shorten it or split it in two.",
    )
    expect(widget.composer).to_have_value(too_long)
    assert Message.objects.count() == 1


def test_sending_faster_than_the_rate_limit_says_the_messages_go_in_a_moment_and_they_do(visit):
    widget = visit()
    in_a_conversation(widget)
    bodies = [f"Line {n} of my list" for n in range(30)]
    # Far past the socket's burst of 20 frames, through the composer as typed and sent, all in one
    # tick: typed by Playwright one at a time, a slow machine spread them over long enough for the
    # bucket to refill and nothing was refused.
    widget.frame.evaluate(
        """(bodies) => {
          const composer = document.getElementById("composer");
          for (const body of bodies) {
            composer.value = body;
            composer.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
          }
        }""",
        bodies,
    )

    region = widget.ui.locator("#compose-error")
    slow_down = "You are sending very fast: your messages go in a moment, by themselves."
    expect_refusal(region, slow_down)
    # The sends held back go again one at a time, 0.7 s apart, while the acks of those taken before
    # the refusal still arrive: the sentence stays, unblinking, until the last is acknowledged (it
    # was cleared by the first ack after it, on a slow machine before anyone could read it).
    seen, deadline = [], time.monotonic() + 60
    while not seen or seen[-1]["acknowledged"] < len(bodies) + 1:  # the greeting and the list
        seen.append(widget.frame.evaluate(ACKNOWLEDGED_AND_SAID))
        widget.page.wait_for_timeout(50)
        assert time.monotonic() < deadline, seen[-5:]
    while_waiting = [state for state in seen if state["acknowledged"] < len(bodies) + 1]
    assert len({state["acknowledged"] for state in while_waiting}) > 1, seen  # acks came meanwhile
    assert {state["said"] for state in while_waiting} == {slow_down}, seen
    for body in bodies:
        widget.expect_sent(body)
    expect(region).to_be_hidden()
    assert Message.objects.filter(body__in=bodies).count() == 30


@pytest.fixture
def live_inbox_asking_who(host_site) -> Inbox:
    return InboxFactory(
        name="Acme Live",
        allowed_origins=host_site.origin,
        mode=Inbox.Mode.LIVE,
        config={"prechat_fields": ["name", "email"]},
    )


def test_the_pre_chat_questions_say_which_answer_is_missing_and_keep_the_message(
    new_context, host_site, live_inbox_asking_who
):
    page = new_context().new_page()
    page.goto(host_site.url(live_inbox_asking_who.public_key))
    widget = Widget(page)
    widget.open()
    widget.start_conversation()
    expect(widget.ui.locator("#prechat")).to_be_visible()
    widget.ui.locator("#prechat-email").fill("kim@example.com")
    widget.composer.fill("Do you ship to Norway?")
    widget.composer.press("Enter")

    expect_refusal(widget.ui.locator("#prechat-error"), "Fill in “Your name” to start.")
    expect(widget.ui.locator("#prechat-name")).to_be_focused()
    expect(widget.composer).to_have_value("Do you ship to Norway?")
    assert not Message.objects.exists()


def test_a_transcript_to_an_address_the_server_refuses_says_why_in_the_card(visit):
    widget = visit()
    in_a_conversation(widget)
    widget.ui.locator("#transcript-toggle").click()
    card = widget.ui.locator("#transcript-card")
    card.locator("#transcript-email").fill("kim@shop")  # the browser takes it; the server does not
    card.locator("#transcript-send").click()

    expect_refusal(
        card.locator("#transcript-error"),
        "That email address does not look right: write it whole, like kim@example.com.",
    )
    expect(card.locator("#transcript-email")).to_have_value("kim@shop")


def test_a_phone_number_to_be_reached_at_that_is_refused_says_how_to_write_it(visit):
    widget = visit()
    in_a_conversation(widget)
    notify = widget.ui.locator("#notify")
    expect(notify).to_be_visible()
    notify.locator("#notify-email").fill("0612")
    notify.locator("#notify-save").click()

    expect_refusal(notify.locator("#notify-error"), "write it with its country code, like +44 20 7946 0958.")
    expect(notify.locator("#notify-email")).to_have_value("0612")


def test_ending_a_live_chat_while_offline_says_so_and_ending_it_back_online_works(visit, inbox):
    inbox.mode, inbox.routing = Inbox.Mode.LIVE, Inbox.Routing.MANUAL
    inbox.save(update_fields=["mode", "routing"])
    widget = visit()
    in_a_conversation(widget)
    expect(widget.ui.locator("#live-status")).to_have_text("You are number 1 in the queue")

    widget.page.context.set_offline(True)
    widget.ui.locator("#end-chat").click()
    expect_refusal(widget.ui.locator("#compose-error"), "The chat could not be ended: you are offline.")
    expect(widget.ui.locator("#end-chat")).to_be_visible()  # still there to press again

    widget.page.context.set_offline(False)
    expect(widget.ui.locator("#end-chat")).to_be_visible()
    widget.ui.locator("#end-chat").click()
    expect(widget.ui.locator("#live-status")).to_have_text("You ended the chat.")
    expect(widget.ui.locator("#compose-error")).to_be_hidden()
