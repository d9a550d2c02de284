"""A file a visitor attaches while offline survives a reload of the host page: the loader keeps it
in the page's IndexedDB until its ack, and it is sent once, under the same client_message_id,
when the network returns. Fixtures: tests/browser/conftest.py; the widget and network helpers:
tests/browser/test_widget.py."""

import re

import pytest
from playwright.sync_api import expect

from conversations.models import Attachment, Conversation, Message
from tests.browser.test_widget import Network, Widget, tiny_png, wait_until

pytestmark = [pytest.mark.django_db(transaction=True)]

# Parley's endpoints the widget calls once drawn; the loader, the frame and its config stay
# reachable, so the host page can be reloaded "offline" for the chat.
CHAT_API = re.compile(r"/widget/api/v1/(session|messages|attributes)")

KEPT_FILES = """key => new Promise(resolve => {
  const open = indexedDB.open("parley:" + key);
  open.onerror = () => resolve(null);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains("files")) { db.close(); return resolve(null); }
    const request = db.transaction("files").objectStore("files").getAllKeys();
    request.onsuccess = () => { db.close(); resolve(request.result); };
  };
})"""


def test_an_image_attached_offline_is_sent_once_after_a_reload(new_context, host_site, inbox):
    context = new_context()
    network = Network(context)
    page = context.new_page()
    page.goto(host_site.url(inbox.public_key))
    widget = Widget(page)
    widget.open()
    widget.start_conversation()
    widget.send("Here is my receipt")
    widget.expect_sent("Here is my receipt")
    conversation = Conversation.objects.get(inbox=inbox)

    network.cut()
    expect(widget.connection).to_have_attribute("data-state", re.compile(r"^(offline|connecting)$"))
    widget.ui.locator("#file").set_input_files(
        files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    pending = widget.ui.locator("#messages .message.mine[data-status='pending'] .attachment img")
    expect(pending).to_have_count(1)

    def kept_files() -> list[str]:  # the client_message_ids the page's IndexedDB holds
        return page.evaluate(KEPT_FILES, inbox.public_key) or []

    wait_until(lambda: len(kept_files()) == 1, page=page)
    (client_message_id,) = kept_files()

    # The host page reloads while the chat's endpoints are still out of reach.
    context.route(CHAT_API, lambda route: route.abort("internetdisconnected"))
    context.set_offline(False)  # the pages load; the socket stays refused (network.down)
    page.reload()
    page.wait_for_function("() => window.Parley && window.Parley.loaded")
    widget = Widget(page)
    page.evaluate("() => window.Parley.open()")
    expect(widget.panel).to_be_visible()
    expect(pending).to_have_count(1)
    expect(pending).to_have_js_property("naturalWidth", 2)  # the kept file, drawn from the page's storage
    expect(widget.message("Here is my receipt", "mine")).to_have_count(0)  # history needs the network
    assert not Attachment.objects.exists()

    # Back online ("offline" then "online": the widget reconnects at once).
    context.set_offline(True)
    context.unroute(CHAT_API)
    network.restore()
    sent = widget.ui.locator("#messages .message.mine[data-seq='2'] .attachment img")
    expect(sent).to_be_visible(timeout=20_000)
    expect(sent).to_have_js_property("naturalWidth", 2)  # now from /media/
    wait_until(lambda: kept_files() == [], page=page)  # forgotten on its ack

    page.wait_for_timeout(1000)  # a second upload (a resend, a replayed event) would show by now
    expect(widget.ui.locator("#messages .message .attachment img")).to_have_count(1)
    expect(widget.ui.locator("#messages .message[data-status='pending']")).to_have_count(0)
    expect(widget.messages).to_have_count(2)
    image = Message.objects.get(conversation=conversation, seq=2)
    assert image.client_message_id == client_message_id
    (attachment,) = image.attachments.all()
    assert (attachment.mime_type, attachment.file_name) == ("image/png", "receipt.png")
    assert Message.objects.filter(conversation__inbox=inbox).count() == 2
    assert Attachment.objects.count() == 1
