"""The customer's socket (/ws/v1/client/): the widget and any business's own app speak it.

Thin: authenticate from the connect token, check the Origin, join the contact's group, and map
each client action to one function in client_actions (which calls the services). Events from the
channel layer announce committed state (published after commit) and are passed on with only the
fields a customer may see. docs/protocol.md documents every message.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from conversations import events, services
from conversations.boundary import BadInput, read_json, replace_unstorable, storable_tree
from conversations.event_catalogue import ClientHello, ContactPresence, ContactTyping, EventType, Request
from conversations.models import ContactIdentity, Inbox
from conversations.payloads import message_payload_for_clients
from conversations.refusals import Refused
from conversations.sockets import MAX_FRAME_BYTES, EventSocket, database_sync_to_async, fit_page

from . import client_actions, protocol
from .backpressure import RETRY_AFTER_MS, store_queue
from .protocol import Close, ErrorCode
from .ratelimit import TokenBucket
from .visitors import Visitor, connected_visitor, current_identity
from .widget import origin_allowed

logger = logging.getLogger(__name__)
STRIKES_BEFORE_CLOSE = 20
VISITOR_REFUSALS = ("identity_changed", "token_invalid", "token_expired")
# How stale a socket's view of its visitor may be before an action re-checks it (one query). A
# re-link closes the socket at once through contact.identity_changed; this bounds the case where
# that event is lost, or the inbox is switched off.
IDENTITY_RECHECK_SECONDS = 60.0
LAST_SEEN_EVERY_SECONDS = 60.0


# What a client sees of each event it hears besides its conversation and seq (None: nothing at all).
FORWARDED: dict[str, tuple[str, ...]] = {
    EventType.MESSAGE_UPDATED: ("message_id", "message_seq", "delivery_status"),
    EventType.CONVERSATION_CREATED: (),
    EventType.CONVERSATION_STATUS_CHANGED: ("status", "previous_status", "snoozed_until"),
    EventType.CONVERSATION_ASSIGNED: ("assignee_id", "assignee_name"),
    EventType.CONVERSATION_READ: ("reader", "read_seq"),
    EventType.CONVERSATION_MERGED: ("into_conversation_id", "into_seq"),
    EventType.AGENT_TYPING: ("agent_id", "name", "typing"),
    EventType.SESSION_QUEUED: ("session_id", "queue_position", "estimated_wait_seconds"),
    EventType.SESSION_ENDED: ("session_id", "close_reason", "status"),
}


class ClientConsumer(EventSocket):
    hears = frozenset({EventType.MESSAGE_CREATED, *FORWARDED, EventType.CONTACT_IDENTITY_CHANGED})
    visitor: Visitor | None = None

    async def connect(self) -> None:
        await self.accept()  # then refuse with a close code the client can read
        token = parse_qs(self.scope.get("query_string", b"").decode()).get("token", [""])[0]
        try:
            self.visitor, self.identity = await database_sync_to_async(connected_visitor)(token)
        except Refused as refusal:
            await self.refuse(refusal.code, refusal.detail, protocol.close_code_for(refusal.code))
            return
        origin, host = _header(self.scope, b"origin"), _header(self.scope, b"host")
        if not origin_allowed(self.identity.inbox, origin, host):
            await self.refuse(
                "origin_forbidden", "This site may not embed this inbox.", Close.FORBIDDEN_ORIGIN
            )
            self.visitor = None
            return
        self.identity_checked_at = time.monotonic()
        self.bucket = TokenBucket()
        self.strikes = 0
        self.group = events.contact_group(self.visitor.contact_id, self.visitor.inbox_id)
        await self.join(self.group)
        self.here = True  # until the client says its widget is closed (`presence`)
        await self.mark_present(self.identity, True)
        await self.announce_presence(online=True)
        conversations = await database_sync_to_async(client_actions.conversations_list)(self.identity)
        hello: ClientHello = {
            "type": EventType.HELLO,
            "protocol": protocol.PROTOCOL_VERSION,
            "contact_id": self.visitor.contact_id,
            "conversations": conversations,
        }
        await self.hello(hello)

    def serving(self) -> bool:
        return self.visitor is not None

    async def disconnect(self, code: int) -> None:
        if self.visitor is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            # Another tab that is still here says so again with its next ping, well within the grace.
            await self.mark_present(self.identity, False)
            await self.announce_presence(online=False)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.visitor is None or self.closing:
            return
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        if len(raw.encode()) > MAX_FRAME_BYTES:
            await self.refuse(ErrorCode.TOO_BIG, "Frames are limited to 128 KiB.", Close.TOO_BIG)
            return
        if not self.bucket.take():
            await self._strike(
                ErrorCode.RATE_LIMITED,
                "Slow down: about 100 actions a minute. Send again after retry_after_ms.",
                None,
                retry_after_ms=self.bucket.wait_ms(),
            )
            return
        try:
            request = read_json(raw, refuse_unstorable=False)
            handler = self.handlers()[request["type"]]
        except BadInput as bad:
            await self._strike(ErrorCode.BAD_REQUEST, str(bad), None)
            return
        except (KeyError, TypeError):
            await self._strike(ErrorCode.BAD_REQUEST, "Expected a JSON object with a known type.", None)
            return
        ref, _ = replace_unstorable(request.get("ref"))  # echoed back: it must encode
        try:
            await handler(storable_tree(request), ref)
        except Refused as refusal:
            await self.send_event(protocol.error_event(refusal.code, refusal.detail, ref))
            if refusal.code in VISITOR_REFUSALS:
                await self.close(code=protocol.close_code_for(refusal.code))
            return
        except BadInput as bad:  # a field holds text that cannot be stored
            await self._strike(ErrorCode.BAD_REQUEST, str(bad), ref)
            return
        except (KeyError, TypeError, ValueError) as error:
            await self._strike(ErrorCode.BAD_REQUEST, f"Missing or malformed field: {error}", ref)
            return
        except Exception:
            logger.exception("client action %s failed", request.get("type"))
            await self.send_event(protocol.error_event(ErrorCode.INTERNAL, "Server error; retry.", ref))
            return
        self.strikes = 0  # a well-formed action: occasional slips never add up to a close

    def handlers(self) -> dict[str, Callable[[dict, Any], Awaitable[None]]]:
        return {
            Request.MESSAGE_SEND: self.on_message_send,
            Request.HISTORY_AFTER: self.on_history,
            Request.HISTORY_BEFORE: self.on_history,
            Request.CONVERSATIONS_LIST: self.on_conversations_list,
            Request.READ: self.on_read,
            Request.TYPING: self.on_typing,
            Request.PING: self.on_ping,
            Request.PRESENCE: self.on_presence,
            Request.SESSION_END: self.on_session_end,
            Request.TRANSCRIPT_REQUEST: self.on_transcript_request,
        }

    # --- client actions ---

    async def on_message_send(self, request: dict, ref: Any) -> None:
        conversation_id = _optional_int(request.get("conversation_id"))
        client_message_id = _text(request["client_message_id"], max_length=64, min_length=8)
        body = _text(request.get("body", ""), max_length=MAX_FRAME_BYTES)  # the service counts characters
        if not store_queue.keeps_up():
            # Nothing was done, and the protocol asks for the same send again: resending through a
            # long overload must not run the customer into the rate limit (its refusal names no ref).
            self.bucket.give_back()
            busy = protocol.error_event(ErrorCode.BUSY, "The server is busy; send it again shortly.", ref)
            await self.send_event({**busy, "retry_after_ms": RETRY_AFTER_MS})
            return
        with store_queue.waiting():
            message = await database_sync_to_async(client_actions.message_send)(
                await self.checked_identity(),
                conversation_id=conversation_id,
                client_message_id=client_message_id,
                body=body,
            )
        await self.send_event(
            {
                "type": EventType.MESSAGE_ACK,
                "ref": ref,
                "conversation_id": message["conversation_id"],
                "message": message,
            }
        )

    async def on_history(self, request: dict, ref: Any) -> None:
        limit = min(max(int(request.get("limit", 50)), 1), protocol.HISTORY_LIMIT_MAX)
        before = request["type"] == Request.HISTORY_BEFORE
        page = await database_sync_to_async(_history_payload)(
            await self.checked_identity(),
            conversation_id=int(request["conversation_id"]),
            after_seq=None if before else int(request.get("after_seq", 0)),
            before_seq=int(request["before_seq"]) if before else None,
            limit=limit,
        )
        await self.send_event({"type": EventType.HISTORY, "ref": ref, **page})

    async def on_conversations_list(self, request: dict, ref: Any) -> None:
        conversations = await database_sync_to_async(client_actions.conversations_list)(
            await self.checked_identity()
        )
        await self.send_event({"type": EventType.CONVERSATIONS, "ref": ref, "conversations": conversations})

    async def on_read(self, request: dict, ref: Any) -> None:
        await database_sync_to_async(client_actions.mark_read)(
            await self.checked_identity(),
            conversation_id=int(request["conversation_id"]),
            seq=int(request["seq"]),
        )

    async def on_typing(self, request: dict, ref: Any) -> None:
        conversation = await database_sync_to_async(client_actions.own_conversation)(
            await self.checked_identity(), int(request["conversation_id"])
        )
        typing: ContactTyping = {
            "type": EventType.CONTACT_TYPING,
            "conversation_id": conversation.pk,
            "inbox_id": conversation.inbox_id,
            "seq": conversation.last_seq,
            "contact_id": self.visitor.contact_id,
            "typing": bool(request.get("typing", True)),
        }
        await self.channel_layer.group_send(events.inbox_group(self.visitor.inbox_id), typing)

    async def on_ping(self, request: dict, ref: Any) -> None:
        """The heartbeat that makes a deaf socket impossible: it re-joins the group (a restarted
        Redis forgets memberships) and answers with every conversation's latest seq, so a client
        that missed events sees the gap and resyncs."""
        await self.join(self.group)
        identity = await self.checked_identity()
        if self.here:
            await self.mark_present(identity, True, ping=True)
            await self.touch_last_seen()
        conversations = await database_sync_to_async(client_actions.conversations_list)(identity)
        await self.send_event(
            {
                "type": EventType.PONG,
                "ref": ref,
                "seqs": {str(item["id"]): item["last_seq"] for item in conversations},
            }
        )

    async def on_presence(self, request: dict, ref: Any) -> None:
        """The widget opened (`here`) or closed (`away`): in a live inbox, a customer away longer
        than the grace period has left, and their session ends."""
        if request["state"] not in ("here", "away"):
            raise ValueError("state must be 'here' or 'away'")
        self.here = request["state"] == "here"
        await self.mark_present(await self.checked_identity(), self.here)

    async def on_session_end(self, request: dict, ref: Any) -> None:
        ended = await database_sync_to_async(client_actions.session_end)(
            await self.checked_identity(), conversation_id=int(request["conversation_id"])
        )
        await self.send_event({"type": EventType.SESSION_END, "ref": ref, "ended": ended})

    async def on_transcript_request(self, request: dict, ref: Any) -> None:
        email = await database_sync_to_async(client_actions.transcript_request)(
            await self.checked_identity(),
            conversation_id=int(request["conversation_id"]),
            email=_text(request.get("email", ""), max_length=254),
        )
        await self.send_event({"type": EventType.TRANSCRIPT_QUEUED, "ref": ref, "email": email})

    # --- events from the channel layer (committed changes; each names what a client may see) ---

    def view(self, event: dict) -> dict | None:
        if event["type"] == EventType.CONTACT_IDENTITY_CHANGED:
            if event.get("identity_id") == self.visitor.identity_id:
                self.identity_lost = asyncio.ensure_future(self._identity_changed())
            return None
        return client_view(event)

    async def _identity_changed(self) -> None:
        await self.send_event(protocol.error_event("identity_changed", "Open a new session."))
        await self.close(code=Close.IDENTITY_CHANGED)

    # --- plumbing ---

    async def announce_presence(self, *, online: bool) -> None:
        """Agents see whether the customer has the chat open (last seen, and contact.presence).
        With several tabs a closing one says offline while another is still open; that one's
        next ping (25 s) says online again."""
        if online:
            await self.touch_last_seen(force=True)
        presence: ContactPresence = {
            "type": EventType.CONTACT_PRESENCE,
            "contact_id": self.visitor.contact_id,
            "inbox_id": self.visitor.inbox_id,
            "online": online,
        }
        await self.channel_layer.group_send(events.inbox_group(self.visitor.inbox_id), presence)

    async def touch_last_seen(self, *, force: bool = False) -> None:
        """Last seen moves at most once a minute; between, no thread hop at all."""
        seen = self.identity.contact.last_seen_at
        if force or seen is None or time.time() - seen.timestamp() >= LAST_SEEN_EVERY_SECONDS:
            await database_sync_to_async(services.contact_touch_last_seen)(self.identity.contact)

    async def mark_present(self, identity: ContactIdentity, present: bool, *, ping: bool = False) -> None:
        """Whether the customer is here ends a live chat, and closes a messaging stretch where both
        were there. Pings re-assert it for live chats only (another tab may have said "gone"): a
        messaging stretch is a metric, not worth a database hop every 25 s per customer."""
        if identity.inbox.mode == Inbox.Mode.LIVE or not ping:
            await database_sync_to_async(client_actions.customer_present)(identity, present=present)

    async def checked_identity(self) -> ContactIdentity:
        """The visitor's identity, re-checked (and its contact and inbox re-read) when the last
        check is older than IDENTITY_RECHECK_SECONDS; raises Refused once it changed."""
        if time.monotonic() - self.identity_checked_at > IDENTITY_RECHECK_SECONDS:
            self.identity = await database_sync_to_async(current_identity)(self.visitor)
            self.identity_checked_at = time.monotonic()
        return self.identity

    async def _strike(self, code: str, detail: str, ref: Any, *, retry_after_ms: int | None = None) -> None:
        self.strikes += 1
        refusal = protocol.error_event(code, detail, ref)
        await self.send_event(
            refusal if retry_after_ms is None else {**refusal, "retry_after_ms": retry_after_ms}
        )
        if self.strikes >= STRIKES_BEFORE_CLOSE:
            await self.close(code=Close.POLICY)


_last_view: tuple[dict, dict | None] | None = None  # every socket of a contact sees an event alike


def client_view(event: dict) -> dict | None:
    """An event as clients see it: its conversation, seq and the fields FORWARDED names (a message
    without its agent-only fields), made once per event for all of this process's sockets."""
    global _last_view
    if _last_view is not None and _last_view[0] is event:
        return _last_view[1]
    if event["type"] == EventType.MESSAGE_CREATED:
        shown = None
        if not event["is_private"]:  # never published to a contact's group; never shown if it were
            shown = {
                "type": EventType.MESSAGE_CREATED,
                "conversation_id": event["conversation_id"],
                "seq": event["seq"],
                "message": message_payload_for_clients(event["message"]),
            }
    elif event["type"] in FORWARDED:
        shown = {"type": event["type"], "conversation_id": event["conversation_id"], "seq": event["seq"]}
        shown.update({name: event.get(name) for name in FORWARDED[event["type"]]})
    else:
        shown = None
    _last_view = (event, shown)
    return shown


def _history_payload(identity: ContactIdentity, **query: Any) -> dict:
    page = client_actions.history(identity, **query)
    messages, left_out = fit_page(
        [protocol.message_payload(message) for message in page.messages],
        keep_last=query["before_seq"] is not None,
    )
    return {
        "conversation_id": page.conversation.pk,
        "last_seq": page.conversation.last_seq,
        "has_more": page.has_more or left_out,
        "messages": messages,
    }


def _header(scope: dict, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _text(value: Any, *, max_length: int, min_length: int = 0) -> str:
    if not isinstance(value, str) or not min_length <= len(value) <= max_length:
        raise ValueError(f"expected a string of {min_length} to {max_length} characters")
    return value
