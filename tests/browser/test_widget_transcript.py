"""The visitor takes their conversation's transcript from the widget, in a messaging inbox: the
thread's "Transcript" button opens a card that downloads the document (every message they saw, the
file linked, no private note) and emails it to them. In English and in French; a screenshot of
each goes to test-artifacts/."""

import pytest
from playwright.sync_api import expect

from conversations import services
from conversations.models import Conversation
from tests.browser import test_widget as widget_journeys

pytestmark = [pytest.mark.django_db(transaction=True)]
visit = widget_journeys.visit

LABELS = {
    "en": {"button": "Transcript", "title": "Your transcript", "download": "Download", "send": "Send"},
    "fr": {
        "button": "Transcription",
        "title": "Votre transcription",
        "download": "Télécharger",
        "send": "Envoyer",
    },
}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_visitor_downloads_the_transcript_with_their_messages_and_no_private_note(
    language, visit, inbox, agent, artifacts
):
    labels = LABELS[language]
    widget = visit(locale={"en": "en-GB", "fr": "fr-FR"}[language])
    widget.launcher.click()  # Widget.open() knows the English launcher only
    expect(widget.panel).to_be_visible()
    widget.expect_online()
    widget.start_conversation()
    widget.send("Where is my tent? Order 1042")
    widget.expect_sent("Where is my tent? Order 1042")
    conversation = Conversation.objects.get(inbox=inbox)
    services.message_post_reply(
        conversation=conversation, agent=agent, body="Customer is cross", is_private=True
    )
    services.message_post_reply(
        conversation=conversation,
        agent=agent,
        body="It ships tomorrow; here is the receipt.",
        attachments=[
            services.AttachmentInput(
                mime_type="application/pdf",
                file_name="receipt.pdf",
                remote_url="https://cdn.example/receipt.pdf",
            )
        ],
    )
    expect(widget.message("It ships tomorrow; here is the receipt.", "theirs")).to_have_count(1)
    widget.send("Thank you!")
    widget.expect_sent("Thank you!")

    toggle = widget.ui.locator("#transcript-toggle")
    expect(toggle).to_have_text(labels["button"])
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    card = widget.ui.locator("#transcript-card")
    expect(card).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(card.locator("h2")).to_have_text(labels["title"])
    expect(widget.ui.locator("#transcript-send")).to_have_text(labels["send"])
    widget.iframe.screenshot(path=str(artifacts / f"widget-transcript-{language}.png"))

    with widget.page.expect_download() as downloading:
        widget.ui.locator("#transcript-download").click()
    download = downloading.value
    assert download.suggested_filename == f"conversation-{conversation.pk}.html"
    download.save_as(artifacts / f"transcript-{language}.html")
    html = download.path().read_text(encoding="utf-8")
    bodies = ["Where is my tent? Order 1042", "It ships tomorrow; here is the receipt.", "Thank you!"]
    assert [html.index(body) for body in bodies] == sorted(html.index(body) for body in bodies)
    assert html.count('<span class="who">You</span>') == 2
    assert '<a href="https://cdn.example/receipt.pdf">📎 receipt.pdf</a>' in html
    assert "Customer is cross" not in html
    assert "resume" not in download.url and download.url.startswith("blob:")  # no token in any URL

    if language == "en":  # and by email, in a messaging conversation
        card.locator("#transcript-email").fill("kim@example.com")
        card.locator("#transcript-send").click()
        expect(card.locator("#transcript-done")).to_have_text(
            "The transcript is on its way to kim@example.com."
        )
        conversation.contact.refresh_from_db()
        assert conversation.contact.email == "kim@example.com"

    toggle.click()
    expect(card).to_be_hidden()
