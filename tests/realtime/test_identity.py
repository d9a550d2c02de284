"""Who a visitor is, through a real Daphne: verified user ids, devices, log-in, user switch, tokens.

The business's server signs its user id with the inbox's identity secret (HMAC-SHA256); the widget
posts it with the session request. Every assertion here is about what a socket can see or do.
"""

import asyncio
import time
from unittest import mock

import pytest
from channels.db import database_sync_to_async as sync_to_async
from django.core import signing

from conversations import services
from conversations.models import Contact, Conversation
from customer_clients.visitors import identity_hash
from tests.factories.agents import AgentProfileFactory
from tests.factories.conversations import InboxFactory

from .harness import Client

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = "https://shop.example.com"
CONNECT_SALT = "parley.visitor.connect.v1"  # what a connect token is signed with (visitors.py)


@pytest.fixture
def widget_inbox():
    return InboxFactory(name="Website", allowed_origins=ORIGIN)


def open_session(daphne, inbox, **fields) -> tuple[int, dict]:
    return daphne.open_session(inbox.public_key, origin=ORIGIN, **fields)


def session_for(daphne, inbox, **fields) -> dict:
    status, body = open_session(daphne, inbox, **fields)
    assert status == 200, body
    return body


def as_user(inbox, user_id: str) -> dict:
    """What the business's page passes to the widget for its logged-in user."""
    return {"user_id": user_id, "user_hash": identity_hash(inbox, user_id)}


async def connect(daphne, token: str) -> tuple[Client, dict]:
    client = await Client.connect(daphne, token, origin=ORIGIN)
    hello = await client.next_event()
    assert hello["type"] == "hello", hello
    return client, hello


async def refused(daphne, token: str) -> tuple[str, int | None]:
    """Connect with `token` and expect the server to refuse: (error code, close code)."""
    client = await Client.connect(daphne, token, origin=ORIGIN)
    error = await client.next_event()
    assert error["type"] == "error", error
    return error["code"], await client.closed()


def test_a_verified_user_is_one_contact_on_every_device(daphne, widget_inbox):
    phone = session_for(daphne, widget_inbox, **as_user(widget_inbox, "user-42"))
    assert Contact.objects.get(pk=phone["contact_id"]).external_id == "user-42"

    async def journey():
        first, hello_first = await connect(daphne, phone["connect_token"])
        ack = await first.send_message("Sent from my phone")
        # A second device: no resume token, only the same signed user id.
        laptop = await asyncio.to_thread(
            session_for, daphne, widget_inbox, **as_user(widget_inbox, "user-42")
        )
        second, hello_second = await connect(daphne, laptop["connect_token"])
        page = await second.request(
            {"type": "history.after", "conversation_id": ack["conversation_id"], "after_seq": 0}
        )
        # Both devices hear what either sends.
        await second.send_message("Sent from my laptop", conversation_id=ack["conversation_id"])
        on_phone = await first.wait_for(
            lambda event: event["type"] == "message.created" and event["seq"] == 2
        )
        await first.close(), await second.close()
        return laptop, ack, hello_first, hello_second, page, on_phone

    laptop, ack, hello_first, hello_second, page, on_phone = asyncio.run(journey())
    assert laptop["contact_id"] == phone["contact_id"]
    assert hello_first["contact_id"] == hello_second["contact_id"] == phone["contact_id"]
    assert [(c["id"], c["last_seq"]) for c in hello_second["conversations"]] == [(ack["conversation_id"], 1)]
    assert [message["body"] for message in page["messages"]] == ["Sent from my phone"]
    assert on_phone["message"]["body"] == "Sent from my laptop"


def test_a_user_id_with_a_wrong_hash_is_refused(daphne, widget_inbox):
    other_inbox = InboxFactory()
    attempts = {
        "hash of another user": {"user_id": "user-42", "user_hash": identity_hash(widget_inbox, "user-43")},
        "another inbox's secret": {"user_id": "user-42", "user_hash": identity_hash(other_inbox, "user-42")},
        "no hash": {"user_id": "user-42"},
        "garbage": {"user_id": "user-42", "user_hash": "0" * 64},
    }
    for name, fields in attempts.items():
        status, body = open_session(daphne, widget_inbox, **fields)
        assert (status, body.get("error")) == (401, "identity_invalid"), name
        assert "connect_token" not in body and "resume_token" not in body, name
    assert not Contact.objects.filter(external_id="user-42").exists()


def test_an_inbox_that_requires_identity_refuses_anonymous_visitors(daphne):
    inbox = InboxFactory(allowed_origins=ORIGIN, require_identity=True)
    status, body = open_session(daphne, inbox)
    assert (status, body.get("error")) == (401, "identity_required")
    assert "connect_token" not in body
    identified = session_for(daphne, inbox, **as_user(inbox, "user-7"))
    assert Contact.objects.get(pk=identified["contact_id"]).external_id == "user-7"


def log_in(daphne, inbox, anonymous: dict, user_id: str) -> dict:
    """The widget of an anonymous visitor, after the business's page logged its user in."""
    return session_for(daphne, inbox, resume_token=anonymous["resume_token"], **as_user(inbox, user_id))


def test_an_anonymous_visitor_who_logs_in_keeps_the_conversation(daphne, widget_inbox):
    anonymous = session_for(daphne, widget_inbox)

    async def journey():
        old, _ = await connect(daphne, anonymous["connect_token"])
        ack = await old.send_message("Question before logging in")
        logged_in = await asyncio.to_thread(log_in, daphne, widget_inbox, anonymous, "user-99")
        new, hello = await connect(daphne, logged_in["connect_token"])
        page = await new.request(
            {"type": "history.after", "conversation_id": ack["conversation_id"], "after_seq": 0}
        )
        # The old socket served an identity that now belongs to someone else: it is told at once
        # and closed, and its anonymous connect token opens nothing any more.
        refusal = await old.wait_for(lambda event: event["type"] == "error")
        old_close = await old.closed()
        stale = await refused(daphne, anonymous["connect_token"])
        await new.close()
        return ack, logged_in, hello, page, refusal, old_close, stale

    ack, logged_in, hello, page, refusal, old_close, stale = asyncio.run(journey())
    user = Contact.objects.get(external_id="user-99")
    assert logged_in["contact_id"] == hello["contact_id"] == user.pk != anonymous["contact_id"]
    assert Conversation.objects.get(pk=ack["conversation_id"]).contact_id == user.pk
    assert [c["id"] for c in hello["conversations"]] == [ack["conversation_id"]]
    assert [message["body"] for message in page["messages"]] == ["Question before logging in"]
    assert (refusal["type"], refusal["code"], old_close) == ("error", "identity_changed", 4010)
    # The stale token is refused at connect; 4001 and 4010 both say "open a new session".
    assert stale[0] == "identity_changed" and stale[1] in (4001, 4010)


def test_when_an_anonymous_visitor_logs_in_the_old_socket_is_told_and_closed_at_once(daphne, widget_inbox):
    """Without waiting for the old socket to act: it is in the anonymous contact's group, which
    nothing is published to any more, so unless it is told it stays open and deaf."""
    anonymous = session_for(daphne, widget_inbox)

    async def journey():
        old, _ = await connect(daphne, anonymous["connect_token"])
        await old.send_message("Question before logging in")
        await old.quiet(0.3)
        await asyncio.to_thread(log_in, daphne, widget_inbox, anonymous, "user-99")
        notice = await old.wait_for(lambda event: event["type"] == "error", timeout=3)
        return notice, await old.closed()

    notice, close_code = asyncio.run(journey())
    assert notice["code"] == "identity_changed"
    assert close_code == 4010


def test_a_user_switch_on_a_shared_device_never_shows_the_previous_users_conversations(daphne, widget_inbox):
    alice = session_for(daphne, widget_inbox, **as_user(widget_inbox, "alice"))

    async def journey():
        a, _ = await connect(daphne, alice["connect_token"])
        ack = await a.send_message("Alice's private question")
        # Alice logs out, Bob logs in on the same browser: the widget still holds Alice's resume token.
        bob = await asyncio.to_thread(
            session_for,
            daphne,
            widget_inbox,
            resume_token=alice["resume_token"],
            **as_user(widget_inbox, "bob"),
        )
        b, hello = await connect(daphne, bob["connect_token"])
        conversation_id = ack["conversation_id"]
        attempts = [
            await b.request({"type": "history.after", "conversation_id": conversation_id, "after_seq": 0}),
            await b.request({"type": "history.before", "conversation_id": conversation_id, "before_seq": 9}),
            await b.send_message("Bob writing into Alice's thread", conversation_id=conversation_id),
            await b.request({"type": "read", "conversation_id": conversation_id, "seq": 1}),
        ]
        listed = await b.request({"type": "conversations.list"})
        # Alice's thread keeps going; Bob's socket hears nothing of it.
        await a.send_message("Alice again", conversation_id=conversation_id)
        await b.quiet(0.5)
        leaked = [
            event for event in b.events if event["type"] not in ("hello", "error", "history", "conversations")
        ]
        alice_pong = await a.request({"type": "ping"})
        await a.close(), await b.close()
        return ack, bob, hello, attempts, listed, leaked, alice_pong

    ack, bob, hello, attempts, listed, leaked, alice_pong = asyncio.run(journey())
    assert bob["contact_id"] == hello["contact_id"] == Contact.objects.get(external_id="bob").pk
    assert bob["contact_id"] != alice["contact_id"]
    assert hello["conversations"] == [] and listed["conversations"] == []
    assert [attempt["code"] for attempt in attempts] == ["not_found"] * 4
    assert leaked == []
    assert alice_pong["seqs"] == {str(ack["conversation_id"]): 2}  # Alice's own socket is untouched
    assert not Conversation.objects.filter(contact_id=bob["contact_id"]).exists()


def test_an_expired_connect_token_is_refused(daphne, widget_inbox):
    session = session_for(daphne, widget_inbox)
    claims = signing.loads(session["connect_token"], salt=CONNECT_SALT)

    def signed_ago(seconds: float) -> str:
        with mock.patch("time.time", return_value=time.time() - seconds):
            return signing.dumps(claims, salt=CONNECT_SALT)

    async def journey():
        recent, _ = await connect(daphne, signed_ago(60))  # within the two minutes: fine
        await recent.close()
        client = await Client.connect(daphne, signed_ago(3600), origin=ORIGIN)
        error = await client.next_event()
        close_code = await client.closed()
        return error, close_code

    error, close_code = asyncio.run(journey())
    assert (error["type"], error["code"]) == ("error", "token_expired")
    assert close_code == 4001


def test_a_connect_token_of_one_inbox_never_reaches_another_inbox(daphne, widget_inbox):
    other = InboxFactory(name="Support portal", allowed_origins=ORIGIN)
    stranger = session_for(daphne, other)
    visitor = session_for(daphne, widget_inbox)
    # A resume token of one inbox does not resume anyone on another.
    crossed = session_for(daphne, other, resume_token=visitor["resume_token"])
    assert crossed["contact_id"] != visitor["contact_id"]

    async def journey():
        s, _ = await connect(daphne, stranger["connect_token"])
        theirs = await s.send_message("On the support portal")
        v, hello = await connect(daphne, visitor["connect_token"])
        conversation_id = theirs["conversation_id"]
        attempts = [
            await v.request({"type": "history.after", "conversation_id": conversation_id, "after_seq": 0}),
            await v.send_message("injected", conversation_id=conversation_id),
        ]
        await s.send_message("More on the portal", conversation_id=conversation_id)
        await v.quiet(0.5)
        leaked = [event for event in v.events if event["type"] not in ("hello", "error")]
        await s.close(), await v.close()
        return hello, attempts, leaked

    hello, attempts, leaked = asyncio.run(journey())
    assert hello["conversations"] == []
    assert [attempt["code"] for attempt in attempts] == ["not_found"] * 2
    assert leaked == []


def test_the_same_user_on_two_inboxes_only_hears_the_inbox_of_the_socket(daphne, widget_inbox):
    """A verified user id names one contact across inboxes (Contact.external_id is global), but a
    socket opened with inbox A's token serves inbox A: it lists, reads and writes only A's
    conversations, so it must not be pushed B's either."""
    portal = InboxFactory(name="Support portal", allowed_origins=ORIGIN)
    on_widget = session_for(daphne, widget_inbox, **as_user(widget_inbox, "carol"))
    on_portal = session_for(daphne, portal, **as_user(portal, "carol"))
    assert on_widget["contact_id"] == on_portal["contact_id"]  # one person, as designed
    agent = AgentProfileFactory().user

    async def journey():
        w, _ = await connect(daphne, on_widget["connect_token"])
        p, _ = await connect(daphne, on_portal["connect_token"])
        ack = await p.send_message("Asked on the portal")
        conversation = await sync_to_async(Conversation.objects.get)(pk=ack["conversation_id"])
        await sync_to_async(services.message_post_reply)(
            conversation=conversation, agent=agent, body="Portal answer"
        )
        await p.wait_for(lambda event: event["type"] == "message.created" and event["seq"] == 2)
        page = await w.request({"type": "history.after", "conversation_id": conversation.pk, "after_seq": 0})
        await w.quiet(0.5)
        await w.close(), await p.close()
        return page, [event for event in w.events if event.get("conversation_id") == conversation.pk]

    page, pushed = asyncio.run(journey())
    assert page["code"] == "not_found"  # the widget socket may not read the portal conversation...
    assert pushed == []  # ...so it must not be pushed its messages or any event about it either
