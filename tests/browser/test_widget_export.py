"""An identified visitor downloads everything held about them from the widget: the transcript
card offers "Download all my data" (docs/privacy.md), which saves the ZIP; an anonymous visitor
is not offered it."""

import json
import zipfile

import pytest
from playwright.sync_api import expect

from audit.models import Action, AuditEntry
from conversations.models import Conversation
from customer_clients.visitors import identity_hash
from tests.browser import test_widget as widget_journeys

pytestmark = [pytest.mark.django_db(transaction=True)]
visit = widget_journeys.visit


def test_an_identified_visitor_downloads_all_their_data_and_a_stranger_is_not_offered_it(
    visit, inbox, artifacts
):
    user = {"userId": "customer-77", "userHash": identity_hash(inbox, "customer-77"), "name": "Ada"}
    widget = visit()
    widget.page.wait_for_function("() => window.Parley && window.Parley.loaded")  # the tag loads async
    widget.page.evaluate("(user) => Parley.identify(user)", user)
    widget.open()
    widget.start_conversation()
    widget.send("Please send me what you keep about me")
    widget.expect_sent("Please send me what you keep about me")
    widget.ui.locator("#transcript-toggle").click()
    button = widget.ui.locator("#export-download")
    expect(button).to_have_text("Download all my data")
    widget.iframe.screenshot(path=str(artifacts / "widget-export.png"))

    with widget.page.expect_download() as downloading:
        button.click()
    archive = zipfile.ZipFile(downloading.value.path())
    messages = json.loads(archive.read("conversations.json"))[0]["messages"]
    assert [m["body"] for m in messages] == ["Please send me what you keep about me"]
    contact = Conversation.objects.select_related("contact").get().contact
    assert AuditEntry.objects.get(action=Action.CONTACT_EXPORTED).target_id == str(contact.pk)

    stranger = visit()
    stranger.open()
    stranger.start_conversation()
    stranger.send("Hello")
    stranger.expect_sent("Hello")
    stranger.ui.locator("#transcript-toggle").click()
    expect(stranger.ui.locator("#transcript-card")).to_be_visible()
    expect(stranger.ui.locator("#export-download")).to_be_hidden()
