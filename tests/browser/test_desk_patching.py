"""The desk patches, it does not re-fetch (issue 19, step 5), in a real browser against the live
Daphne: a customer's message moves and updates its row and appends to the open thread from the
event alone; another agent's reading costs this desk nothing; a change the event does not say all
of fetches that one row. What the desk drew from events is then compared with what the server
renders for the same rows and messages: patched, the page reads as a fresh one would. A screenshot
of the patched desk goes to test-artifacts/."""

import re

import pytest
from playwright.sync_api import Page, expect

from conversations.models import Conversation, ReadMarker
from tests.browser import test_desk as desk_journeys
from tests.browser.test_desk import customer_writes, new_agent
from tests.factories.conversations import ContactFactory, InboxFactory

pytestmark = [pytest.mark.django_db(transaction=True)]
open_desk = desk_journeys.open_desk  # the fixture: an agent's desk, signed in through the login page

FETCHES = re.compile(r"/desk/(list/|c/\d+/(after|header)/)")
# What distinguishes an entry: its classes, id, seq, delivery state, and its text as a person reads it.
ENTRY_FACTS = (
    "el => [el.className, el.id, el.dataset.seq, el.dataset.status,"
    " el.textContent.replace(/\\s+/g, ' ').trim()]"
)


@pytest.fixture
def inbox(host_site):
    return InboxFactory(name="Acme Support", allowed_origins=host_site.origin, routing="manual")


class Fetches:
    """The list, row, thread and header fetches a page makes, from now on."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        page.on("request", self._seen)

    def _seen(self, request) -> None:
        if FETCHES.search(request.url):
            self.urls.append(request.url)

    def take(self) -> list[str]:
        taken, self.urls = self.urls, []
        return [re.sub(r"^https?://[^/]+", "", url) for url in taken]


def row_words(page: Page, conversation: Conversation) -> list[str]:
    """The row as this page shows it, as words."""
    return page.locator(f"#list .row[data-conversation-id='{conversation.pk}']").text_content().split()


def server_row(page: Page, conversation: Conversation) -> list[str]:
    """The row as a fresh list renders it for this agent, as words."""
    html = page.evaluate("url => fetch(url).then(r => r.text())", "/desk/list/?view=all")
    found = re.search(rf'<li class="row[^"]*" data-conversation-id="{conversation.pk}".*?</li>', html, re.S)
    return re.sub(r"<[^>]+>", " ", found.group(0)).split()


def test_a_message_patches_its_row_and_thread_without_fetching_them(open_desk, inbox, artifacts):
    ana, ben = new_agent("Ana", inbox), new_agent("Ben", inbox)
    kim, lee = ContactFactory(name="Kim Park"), ContactFactory(name="Lee Chen")
    older = customer_writes(inbox, kim, "Is the stove in stock?").conversation
    newer = customer_writes(inbox, lee, "Do you ship to Canada?").conversation
    desk = open_desk(ana)
    page = desk.page
    expect(desk.rows).to_have_count(2)
    expect(desk.rows.first).to_have_attribute("data-conversation-id", str(newer.pk))
    page.wait_for_timeout(600)  # the list fetch that followed the hello is done
    fetches = Fetches(page)

    # A customer writes again: the row moves up with the new preview and a second unread,
    # and nothing is fetched.
    customer_writes(inbox, kim, "Also: does it fit a 2-person tent?")
    expect(desk.rows.first).to_have_attribute("data-conversation-id", str(older.pk))
    expect(desk.row(older).locator(".preview")).to_have_text("Also: does it fit a 2-person tent?")
    expect(desk.row(older).locator(".unread-count")).to_have_text("2")
    expect(page).to_have_title("(3) Parley desk")
    page.wait_for_timeout(500)
    assert fetches.take() == []
    assert row_words(page, older) == server_row(page, older)

    # Open, the next message is drawn from its event: no fetch of the thread, and read at once.
    desk.open(older)
    expect(desk.row(older).locator(".unread-count")).to_have_count(0)
    fetches.take()
    customer_writes(inbox, kim, "It's for a trip on Friday.\nThanks!")
    drawn = page.locator("#messages .entry").last
    expect(drawn.locator(".body")).to_have_text("It's for a trip on Friday.Thanks!")
    expect(desk.row(older).locator(".preview")).to_contain_text("It's for a trip on Friday.")
    page.wait_for_timeout(500)
    assert [url for url in fetches.take() if "/after/" in url or "/desk/list/" in url] == []
    expect(desk.row(older).locator(".unread-count")).to_have_count(0)  # read, as it was shown

    # What was drawn from events reads as the server renders it.
    seq = int(drawn.get_attribute("data-seq"))
    served = page.evaluate(
        "url => fetch(url).then(r => r.text())", f"/desk/c/{older.pk}/after/?seq={seq - 1}"
    )
    fresh = page.evaluate(
        f"""html => {{ const t = document.createElement('template'); t.innerHTML = html;
        return ({ENTRY_FACTS})(t.content.querySelector('.entry')); }}""",
        served,
    )
    assert drawn.evaluate(ENTRY_FACTS) == fresh
    fetches.take()  # the test's own fetch of it

    # Another agent reading it costs this desk nothing.
    other = open_desk(ben)
    other.open(older)
    expect(other.row(older).locator(".unread-count")).to_have_count(0)
    page.wait_for_timeout(600)
    assert fetches.take() == []

    # A change the event does not say all of (Ben takes it) fetches that one row, no list.
    other.page.locator("#assign-me").click()
    expect(desk.row(older).locator(".assignee")).to_have_text("B")
    urls = fetches.take()
    assert any(url.startswith(f"/desk/list/{older.pk}/?") for url in urls), urls
    assert not any(url.startswith("/desk/list/?") for url in urls), urls
    page.screenshot(path=artifacts / "desk-patched-from-events.png")


def test_a_message_that_arrives_while_a_read_is_on_its_way_is_read_too(open_desk, inbox):
    """Under load the open's read can still be on its way when the next message is drawn; that
    message's read goes after it (htmx queues the last request of an element that has one in
    flight), or the row would keep an unread count for a message the agent is looking at."""
    ana = new_agent("Ana", inbox)
    kim = ContactFactory(name="Kim Park")
    conversation = customer_writes(inbox, kim, "Is the stove in stock?").conversation
    desk = open_desk(ana)
    page = desk.page
    held: list = []
    holding = [True]
    # Each read waits here while `holding`, as a busy server would keep it.
    page.route("**/read/", lambda route: held.append(route) if holding[0] else route.continue_())

    desk.open(conversation)
    for _ in range(100):  # the open's read is held
        if held:
            break
        page.wait_for_timeout(100)
    assert held
    customer_writes(inbox, kim, "It's for a trip on Friday.")
    expect(page.locator("#messages .entry").last.locator(".body")).to_have_text("It's for a trip on Friday.")
    page.wait_for_timeout(300)
    holding[0] = False
    for route in held:
        route.continue_()

    expect(desk.row(conversation).locator(".unread-count")).to_have_count(0)
    last_seq = Conversation.objects.get(pk=conversation.pk).last_seq
    assert ReadMarker.objects.get(conversation=conversation, agent=ana).last_read_seq == last_seq


def test_a_list_answer_older_than_an_event_does_not_undo_what_the_event_drew(open_desk, inbox):
    """A reconnect's list fetch can be answered (rendered before a message) and arrive after that
    message's event patched the row: the row must end as the server has it now, not as the older
    answer had it."""
    ana = new_agent("Ana", inbox)
    kim = ContactFactory(name="Kim Park")
    conversation = customer_writes(inbox, kim, "Is the stove in stock?").conversation
    desk = open_desk(ana)
    page = desk.page
    expect(desk.row(conversation).locator(".unread-count")).to_have_text("1")
    page.wait_for_timeout(600)  # the list fetch that followed the hello is done
    answered: list = []
    holding = [True]

    def answer_late(route):  # the server renders the list now; the page gets it when let go
        if holding[0]:
            answered.append((route, route.fetch()))
        else:
            route.continue_()

    page.route(re.compile(r"/desk/list/\?"), answer_late)
    page.evaluate("() => htmx.trigger('#filters', 'refresh')")  # as after a reconnect
    for _ in range(100):
        if answered:
            break
        page.wait_for_timeout(100)
    assert answered
    customer_writes(inbox, kim, "Also: does it fit a 2-person tent?")
    expect(desk.row(conversation).locator(".unread-count")).to_have_text("2")  # from the event
    holding[0] = False
    for route, response in answered:
        route.fulfill(response=response)

    page.wait_for_timeout(1500)
    expect(desk.row(conversation).locator(".unread-count")).to_have_text("2")
    assert row_words(page, conversation) == server_row(page, conversation)
