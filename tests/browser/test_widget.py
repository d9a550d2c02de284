"""The web widget in a real browser, embedded the one documented way on a business's site.

Each test is a visitor's journey: Chromium loads a host page on another origin than Parley
(localhost against 127.0.0.1), the page's one script tag draws the widget, and an agent answers
through conversations.services while the visitor watches. Fixtures: tests/browser/conftest.py.
Screenshots of the open widget go to test-artifacts/.
"""

import contextlib
import re
import struct
import time
import zlib
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Frame, Locator, Page, WebSocketRoute, expect

from agents.services import conversation_assign_to_agent
from conversations import services
from conversations.models import Conversation, Message
from tests.factories.conversations import InboxFactory

WAIT_MS = 10_000  # as expect() waits (conftest.py)

pytestmark = [pytest.mark.django_db(transaction=True)]

HELLO = "Hello 👋 from the widget"
REPLY = "Hi! Ana here. How can I help?"


def tiny_png() -> bytes:
    """A real 2 x 1 PNG (red, blue)."""
    rows = b"\x00\xff\x00\x00\x00\x00\xff"

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


class Widget:
    """The widget as a visitor sees it: the loader's iframe on the host page and what is in it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.iframe = page.locator("#parley-frame")
        self.ui = page.frame_locator("#parley-frame")
        self.launcher = self.ui.locator("#launcher")
        self.badge = self.ui.locator("#badge")
        self.panel = self.ui.locator("#panel")
        self.connection = self.ui.locator("#connection")
        self.conversations = self.ui.locator("#conversations .conversation")
        self.messages = self.ui.locator("#messages .message")
        self.composer = self.ui.locator("textarea#composer")
        self.send_button = self.ui.locator("#send")
        self.typing = self.ui.locator("#typing")

    @property
    def frame(self) -> Frame:
        """The frame's Frame (for evaluate); it exists once the loader has drawn the iframe."""
        expect(self.iframe).to_be_attached()
        frame = self.iframe.element_handle().content_frame()
        assert frame is not None, "#parley-frame has no document"
        return frame

    def open(self) -> None:
        """Click the launcher and wait for the panel and a live connection."""
        expect(self.launcher).to_be_visible()
        expect(self.launcher).to_have_accessible_name("Open chat")
        self.launcher.click()
        expect(self.panel).to_be_visible()
        self.expect_online()

    def expect_online(self) -> None:
        expect(self.connection).to_have_attribute("data-state", "online")

    def start_conversation(self) -> None:
        """Get to the composer: a first-time visitor may see it at once, or a list with
        #new-conversation."""
        either = self.ui.locator("textarea#composer:visible, #new-conversation:visible").first
        expect(either).to_be_visible()
        if not self.composer.is_visible():
            self.ui.locator("#new-conversation").click()
        expect(self.composer).to_be_visible()

    def show_history(self) -> None:
        """After a reload: the open thread, or the first conversation of the list, opened."""
        either = self.ui.locator("#messages .message:visible, #conversations .conversation:visible").first
        expect(either).to_be_visible()
        if not self.messages.first.is_visible():
            self.conversations.first.click()
        expect(self.messages.first).to_be_visible()

    def send(self, text: str, *, press_enter: bool = True) -> None:
        expect(self.composer).to_be_visible()
        self.composer.fill(text)
        if press_enter:
            self.composer.press("Enter")
        else:
            self.send_button.click()
        expect(self.composer).to_have_value("")

    def message(self, text: str, side: str = "") -> Locator:
        """`.message` items (`side`: "mine" or "theirs") whose `.body` is exactly `text`."""
        exact = re.compile(r"^\s*" + re.escape(text) + r"\s*$")
        return self.ui.locator(f"#messages .message{'.' + side if side else ''}").filter(
            has=self.ui.locator(".body", has_text=exact)
        )

    def expect_sent(self, text: str) -> None:
        """The visitor's message `text` is shown once, acknowledged: a seq and a final status."""
        mine = self.message(text, "mine")
        expect(mine).to_have_count(1)
        expect(mine).to_have_attribute("data-seq", re.compile(r"^\d+$"))
        expect(mine).to_have_attribute("data-status", re.compile(r"^(sent|delivered|read)$"))

    def seqs(self) -> list[int | None]:
        """Every shown message's data-seq, in page order (None while pending)."""
        values = self.messages.evaluate_all("items => items.map(item => item.getAttribute('data-seq'))")
        return [int(value) if value else None for value in values]


class Network:
    """Cuts and restores the browser's network, websockets included: Chromium's offline emulation
    (context.set_offline) fails new HTTP requests but leaves open websockets alone, so Parley's
    sockets are routed through Playwright, closed on a cut (as a dropped connection, 1006) and
    refused while the network is down.

    Routed frames are forwarded by this (Python) side of Playwright, so they move only while the
    test is inside a Playwright call, as it is while an expect() polls."""

    SOCKETS = re.compile(r"/ws/v1/client/")
    CUTS_HTTP = True  # False: only the sockets drop, the page's HTTP keeps working

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.down = False
        self.links: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        context.route_web_socket(self.SOCKETS, self._route)

    def _route(self, socket: WebSocketRoute) -> None:
        if self.down:
            socket.close(code=1006, reason="network down")
            return
        self.links.append((socket, socket.connect_to_server()))

    def cut(self) -> None:
        self.down = True
        if self.CUTS_HTTP:
            self.context.set_offline(True)
        for page_side, server_side in self.links:
            # Either side may have closed already.
            with contextlib.suppress(Exception):
                server_side.close()
            with contextlib.suppress(Exception):
                page_side.close(code=1006, reason="network down")
        self.links.clear()

    def restore(self) -> None:
        self.down = False
        if self.CUTS_HTTP:
            self.context.set_offline(False)


def wait_until(condition: Callable[[], bool], *, page: Page, seconds: float = WAIT_MS / 1000) -> None:
    """Poll a database-side condition while letting Playwright run (routed sockets, events)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {seconds}s")
        page.wait_for_timeout(100)


def wait_for_box(locator: Locator, fits: Callable[[dict], bool], *, page: Page) -> dict:
    """The element's bounding box once `fits(box)` (the loader lays the iframe out after the frame
    reports open or closed)."""
    boxes: list[dict] = []

    def check() -> bool:
        box = locator.bounding_box()
        if box is not None:
            boxes.append(box)
        return box is not None and fits(box)

    try:
        wait_until(check, page=page)
    except AssertionError:
        raise AssertionError(f"{locator} never fit; last box {boxes[-1:] or None}") from None
    return boxes[-1]


@pytest.fixture
def visit(new_context, host_site, inbox) -> Callable[..., Widget]:
    """visit(context=None, **context_options) -> the host page, loaded, as a Widget."""

    def open_page(context: BrowserContext | None = None, **options) -> Widget:
        page = (context or new_context(**options)).new_page()
        page.goto(host_site.url(inbox.public_key))
        return Widget(page)

    return open_page


def test_a_visitor_on_another_site_chats_live_with_an_agent_and_a_reload_keeps_the_thread(
    visit, inbox, agent
):
    widget = visit()
    widget.open()
    widget.start_conversation()
    widget.send(HELLO)
    widget.expect_sent(HELLO)

    stored = Message.objects.get(body=HELLO)
    assert stored.sender_kind == Message.SenderKind.CONTACT
    conversation = stored.conversation
    assert conversation.inbox_id == inbox.pk
    assert widget.message(HELLO, "mine").get_attribute("data-seq") == str(stored.seq)

    # An image, as the visitor would attach it: checked by its content, stored with its message.
    widget.ui.locator("#file").set_input_files(
        files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    image = widget.ui.locator("#messages .message.mine[data-seq='2'] .attachment img")
    expect(image).to_be_visible()
    expect(image).to_have_js_property("naturalWidth", 2)  # the browser decoded what /media/ served
    (attachment,) = Message.objects.get(conversation=conversation, seq=2).attachments.all()
    assert (attachment.mime_type, attachment.file_name) == ("image/png", "receipt.png")

    conversation_assign_to_agent(conversation=conversation, assignee=agent, actor=agent)
    expect(widget.ui.locator("#messages .day", has_text="Ana joined the conversation")).to_have_count(1)
    services.message_post_reply(conversation=conversation, agent=agent, body=REPLY)
    reply = widget.message(REPLY, "theirs")
    expect(reply).to_have_count(1)
    expect(reply.locator(".sender")).to_contain_text("Ana")

    # A reload: the resume token, kept in the host page's storage through the loader, brings back
    # the same visitor and thread.
    widget.page.reload()
    widget.page.wait_for_function("() => window.Parley && window.Parley.loaded")
    widget.page.evaluate("() => window.Parley.open()")
    expect(widget.panel).to_be_visible()
    widget.show_history()
    expect(widget.message(HELLO, "mine")).to_have_count(1)
    expect(widget.message(REPLY, "theirs")).to_have_count(1)
    expect(widget.messages).to_have_count(3)
    expect(widget.message(REPLY, "theirs").locator(".sender")).to_contain_text("Ana")
    assert widget.seqs() == [1, 2, 4]  # 3 is the agent-only "Ana assigned…" line: a gap by design
    assert Conversation.objects.filter(inbox=inbox).count() == 1
    assert Message.objects.filter(conversation=conversation, is_private=False).count() == 3


def test_a_message_sent_while_the_network_is_down_is_delivered_once_when_it_returns(
    new_context, host_site, inbox, agent
):
    context = new_context()
    network = Network(context)  # before the page: it routes the widget's socket from the start
    page = context.new_page()
    page.goto(host_site.url(inbox.public_key))
    widget = Widget(page)
    widget.open()
    widget.start_conversation()
    widget.send("Has my order shipped?")
    widget.expect_sent("Has my order shipped?")
    conversation = Conversation.objects.get(inbox=inbox)

    network.cut()
    expect(widget.connection).to_have_attribute("data-state", re.compile(r"^(offline|connecting)$"))
    offline_text = "Sent from a tunnel, no signal"
    widget.send(offline_text, press_enter=False)
    pending = widget.message(offline_text, "mine")
    expect(pending).to_have_count(1)
    expect(pending).to_have_attribute("data-status", "pending")
    expect(pending).to_have_attribute("data-seq", "")

    # The agent answers meanwhile; the widget keeps trying against a dead network.
    late_reply = "It left the warehouse this morning."
    services.message_post_reply(conversation=conversation, agent=agent, body=late_reply)
    page.wait_for_timeout(1500)
    expect(pending).to_have_attribute("data-status", "pending")
    expect(widget.connection).to_have_attribute("data-state", re.compile(r"^(offline|connecting)$"))
    assert not Message.objects.filter(body=offline_text).exists()

    network.restore()
    expect(widget.connection).to_have_attribute("data-state", "online", timeout=20_000)
    widget.expect_sent(offline_text)
    expect(widget.message(late_reply, "theirs")).to_have_count(1)
    expect(widget.messages).to_have_count(3)
    page.wait_for_timeout(1000)  # a late duplicate (a resend, a replayed event) would show by now
    expect(widget.messages).to_have_count(3)
    assert Message.objects.filter(body=offline_text).count() == 1
    assert Message.objects.filter(conversation=conversation).count() == 3
    # The reply was stored first (seq 2): the thread reads in seq order, as a reload would show it.
    assert widget.seqs() == [1, 2, 3]


def test_a_site_that_is_not_allowed_gets_no_widget(new_context, host_site, inbox):
    elsewhere = InboxFactory(name="Elsewhere", allowed_origins="https://shop.example.com")
    page = new_context().new_page()
    config_statuses: list[int] = []
    page.on(
        "response",
        lambda response: (
            config_statuses.append(response.status) if "/widget/api/v1/config" in response.url else None
        ),
    )
    page.goto(host_site.url(elsewhere.public_key))
    page.wait_for_load_state("networkidle")
    assert config_statuses == [403]
    expect(page.locator("#parley-frame")).to_have_count(0)
    expect(page.locator("iframe")).to_have_count(0)

    # Nor can such a site draw the frame page itself: frame-ancestors names only allowed sites.
    # (Control: the allowed inbox's frame does render in the same kind of page.)
    page.goto(host_site.url(inbox.public_key, frame="direct"))
    expect(page.frame_locator("#direct").locator("#launcher")).to_be_visible()
    page.goto(host_site.url(elsewhere.public_key, frame="direct"))
    page.wait_for_load_state("networkidle")
    expect(page.locator("#direct")).to_be_attached()
    expect(page.frame_locator("#direct").locator("#launcher")).to_have_count(0)


VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "mobile": {"width": 390, "height": 844}}


@pytest.mark.parametrize("device", ["desktop", "mobile"])
def test_the_open_widget_fits_a_desktop_and_fills_a_phone(device, visit, inbox, agent, artifacts):
    size = VIEWPORTS[device]
    options = {"viewport": size}
    if device == "mobile":
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    widget = visit(**options)
    page = widget.page

    # Closed, it is a small launcher in the bottom-right corner that leaves the page usable.
    closed = wait_for_box(widget.iframe, lambda box: box["width"] <= 200 and box["height"] <= 200, page=page)
    assert closed["x"] + closed["width"] > size["width"] - 60
    assert closed["y"] + closed["height"] > size["height"] - 60

    widget.open()
    widget.start_conversation()
    widget.send("Do you ship to Norway?")
    widget.expect_sent("Do you ship to Norway?")
    conversation = Conversation.objects.get(inbox=inbox)
    services.message_post_reply(
        conversation=conversation, agent=agent, body="We do! Delivery to Oslo takes 3-5 working days."
    )
    expect(widget.message("We do! Delivery to Oslo takes 3-5 working days.", "theirs")).to_be_visible()

    if device == "mobile":
        opened = wait_for_box(
            widget.iframe,
            lambda box: abs(box["width"] - size["width"]) <= 2 and abs(box["height"] - size["height"]) <= 2,
            page=page,
        )
        assert abs(opened["x"]) <= 1 and abs(opened["y"]) <= 1
    else:
        opened = wait_for_box(widget.iframe, lambda box: box["height"] >= 400, page=page)
        assert opened["width"] <= size["width"] / 2, "the desktop panel should not cover the page"
        assert size["width"] - 40 <= opened["x"] + opened["width"] <= size["width"]
        assert size["height"] - 40 <= opened["y"] + opened["height"] <= size["height"]
    expect(widget.composer).to_be_in_viewport()
    expect(widget.send_button).to_be_in_viewport()
    page.screenshot(path=str(artifacts / f"widget-{device}.png"))


IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=1</script>"
JS_URL = "javascript:alert(1)"
LINK = '<a href="javascript:window.__xss=1">x</a>'
# More of the classic list (OWASP's XSS filter evasion cheat sheet), sent by an agent in one reply.
CLASSICS = "\n".join(
    (
        "<svg/onload=window.__xss=1>",
        '"><iframe src="javascript:window.__xss=1">',
        "<body onload=window.__xss=1>",
        '<a href="JaVaScRiPt:window.__xss=1">y</a>',
        '<a href="&#106;avascript:window.__xss=1">z</a>',
        'https://example.com/"onmouseover="window.__xss=1',
        "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
        "data:text/html,<script>window.__xss=1</script>",
        "{{constructor.constructor('window.__xss=1')()}}",
        "<img src=x onerror=window.__xss=1//",
    )
)


def test_markup_in_messages_is_shown_as_text_and_never_runs(visit, inbox, agent):
    # Without the frame's CSP, so that escaping alone is what is tested.
    widget = visit(bypass_csp=True)
    page = widget.page
    dialogs: list[str] = []

    def dismiss(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    widget.open()
    widget.start_conversation()
    for text in (IMG, SCRIPT):
        widget.send(text)
        widget.expect_sent(text)
    conversation = Conversation.objects.get(inbox=inbox)
    for text in (JS_URL, LINK):
        services.message_post_reply(conversation=conversation, agent=agent, body=text)
        expect(widget.message(text, "theirs")).to_have_count(1)
    services.message_post_reply(conversation=conversation, agent=agent, body=CLASSICS)
    expect(widget.messages).to_have_count(5)
    assert widget.messages.last.locator(".body").inner_text() == CLASSICS

    for text in (IMG, SCRIPT, JS_URL, LINK):
        expect(widget.message(text)).to_be_visible()
    expect(widget.ui.locator("a[href^='javascript' i]")).to_have_count(0)
    expect(widget.ui.locator("#messages :is(img, script, svg, iframe, math, style, body)")).to_have_count(0)
    hrefs = widget.ui.locator("#messages .body a").evaluate_all("links => links.map(link => link.href)")
    assert hrefs == ["https://example.com/"]  # the one real link, cut before the quote
    handlers = widget.frame.evaluate(
        "() => [...document.querySelectorAll('#messages *')].flatMap(el => [...el.attributes])"
        ".filter(a => a.name.startsWith('on')).length"
    )
    assert handlers == 0
    page.wait_for_timeout(500)  # a broken image's onerror fires within milliseconds
    assert widget.frame.evaluate("() => typeof window.__xss") == "undefined"
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert dialogs == []
    assert set(Message.objects.filter(conversation=conversation).values_list("body", flat=True)) == {
        IMG,
        SCRIPT,
        JS_URL,
        LINK,
        CLASSICS,
    }


def test_while_the_widget_is_closed_a_reply_shows_on_the_badge_and_reaches_the_page(visit, agent):
    widget = visit()
    widget.page.wait_for_function("() => window.Parley && window.Parley.loaded")  # the tag loads async
    widget.page.evaluate(
        "() => { window.counts = []; Parley.onUnreadCountChange((n) => window.counts.push(n)); }"
    )
    widget.open()
    widget.start_conversation()
    widget.send(HELLO)
    widget.expect_sent(HELLO)
    widget.page.evaluate("() => Parley.close()")
    expect(widget.panel).to_be_hidden()

    conversation = Conversation.objects.get()
    services.message_post_reply(conversation=conversation, agent=agent, body=REPLY)
    expect(widget.badge).to_have_text("1")
    wait_until(lambda: widget.page.evaluate("() => window.counts.at(-1)") == 1, page=widget.page)

    widget.launcher.click()  # opening shows the reply and marks it read
    expect(widget.message(REPLY, "theirs")).to_have_count(1)
    expect(widget.badge).to_be_hidden()
    wait_until(lambda: widget.page.evaluate("() => window.counts.at(-1)") == 0, page=widget.page)
    wait_until(lambda: Conversation.objects.get().contact_last_read_seq == 2, page=widget.page)


def test_an_identified_user_finds_the_same_conversations_on_another_device(visit, inbox, agent):
    from customer_clients.visitors import identity_hash

    user = {"userId": "customer-42", "userHash": identity_hash(inbox, "customer-42"), "name": "Ada"}
    laptop = visit()
    laptop.page.wait_for_function("() => window.Parley && window.Parley.loaded")  # the tag loads async
    laptop.page.evaluate("(user) => Parley.identify(user)", user)
    laptop.open()
    laptop.start_conversation()
    laptop.send(HELLO)
    laptop.expect_sent(HELLO)
    # Identified as the page loads: the frame's first session (or, had the frame been quicker, its
    # next one) is the user's, and the conversation belongs to the user's contact.
    wait_until(lambda: Conversation.objects.get().contact.external_id == "customer-42", page=laptop.page)
    conversation = Conversation.objects.select_related("contact").get()
    assert conversation.contact.name == "Ada"

    phone = visit(viewport={"width": 390, "height": 844})  # another browser profile: nothing shared
    phone.page.wait_for_function("() => window.Parley && window.Parley.loaded")  # the tag loads async
    phone.page.evaluate("(user) => Parley.identify(user)", user)
    phone.open()
    phone.show_history()
    expect(phone.message(HELLO, "mine")).to_have_count(1)
    services.message_post_reply(conversation=conversation, agent=agent, body=REPLY)
    expect(phone.message(REPLY, "theirs")).to_have_count(1)  # live on both devices
    expect(laptop.message(REPLY, "theirs")).to_have_count(1)

    stranger = visit()  # the same site, not logged in: none of Ada's conversations
    stranger.open()
    stranger.start_conversation()
    expect(stranger.message(HELLO)).to_have_count(0)
    assert Conversation.objects.count() == 1


def test_the_launcher_shows_only_once_it_works_however_slow_the_frames_modules(visit, new_context, inbox):
    """The frame's ES modules load after its HTML: a launcher shown before they ran would take a
    click (or Enter) and do nothing. Here one module comes 2 s late; the first click on the
    launcher, as soon as it is visible, opens the panel."""
    context = new_context()

    def late(route):
        time.sleep(2)
        route.continue_()

    context.route(re.compile(r"/static/widget/panel[.\w]*\.js"), late)
    widget = visit(context)
    expect(widget.launcher).to_be_visible(timeout=10_000)
    widget.launcher.click()
    expect(widget.panel).to_be_visible(timeout=2_000)


def test_the_widget_works_from_the_keyboard_and_names_every_control(visit, inbox):
    widget = visit()
    frame_page = widget.page
    expect(widget.launcher).to_be_visible()
    widget.launcher.focus()
    frame_page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(widget.panel).to_have_attribute("role", "dialog")
    # A list that announces what arrives (role=log would strip the list its items belong to).
    expect(widget.ui.locator("ol#messages")).to_have_attribute("aria-live", "polite")
    focused = widget.ui.locator(":focus")
    expect(focused).to_have_count(1)  # focus moved into the panel: the composer or "new conversation"
    unnamed = widget.frame.evaluate(
        """() => [...document.querySelectorAll('button, textarea, input:not([type=file])')]
            .filter((el) => !el.closest('[hidden]'))
            .filter((el) => !(el.getAttribute('aria-label') || el.labels?.[0]?.textContent.trim()
                              || el.textContent.trim()))
            .map((el) => el.id || el.outerHTML.slice(0, 60))"""
    )
    assert unnamed == []
    frame_page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    expect(widget.launcher).to_be_focused()
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
