"""The agent desk's socket (/ws/v1/desk/): session-authenticated, same-origin.

It delivers every committed change of the agent's inboxes (admins: all), customer typing, agent
presence, and who else is viewing or typing in a conversation, so two agents do not answer one
customer at once. It keeps the agent's presence and closes at once on a logout of its session or
the agent's deactivation (agent.signed_out), or within SESSION_CHECK_SECONDS by its own check of
the session should that event be lost. Actions (reply, assign, resolve) are HTTP requests of the
desk; this socket reads.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from agents import presence
from agents.services import session_digest
from conversations import events
from conversations.boundary import BadInput, read_json
from conversations.event_catalogue import AgentTyping, AgentViewing, DeskHello, EventType, Request
from conversations.refusals import Refused
from conversations.sockets import MAX_FRAME_BYTES, Close, EventSocket, database_sync_to_async

from . import socket_actions

PROTOCOL_VERSION = 1
# The backstop to agent.signed_out (a lost event, a deactivation no service announced, a session
# that expired): with the check's own time, under 3 s (docs/protocol.md, "Closing").
SESSION_CHECK_SECONDS = 2.0


# What a desk hears of the events its groups carry: all passed on, but a sign-out (it closes).
DESK_HEARS = frozenset(
    {
        EventType.AGENT_SIGNED_OUT,
        EventType.MESSAGE_CREATED,
        EventType.MESSAGE_UPDATED,
        EventType.CONVERSATION_CREATED,
        EventType.CONVERSATION_STATUS_CHANGED,
        EventType.CONVERSATION_ASSIGNED,
        EventType.CONVERSATION_UPDATED,
        EventType.CONVERSATION_HANDED_OFF,
        EventType.CONVERSATION_MERGED,
        EventType.CONVERSATION_READ,
        EventType.SLA_BREACHED,
        EventType.SLA_WARNING,
        EventType.CONTACT_TYPING,
        EventType.CONTACT_PRESENCE,
        EventType.AGENT_PRESENCE,
        EventType.SESSION_QUEUED,
        EventType.SESSION_ENDED,
        EventType.AGENT_MENTIONED,
        EventType.AGENT_MENTIONS_READ,
        EventType.AGENT_VIEWING,
        EventType.AGENT_TYPING,
    }
)


class DeskConsumer(EventSocket):
    hears = DESK_HEARS
    agent = None
    session_key: str | None = None
    session_name: str | None = None  # how agent.signed_out names this socket's session
    signed_out = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated or not user.is_staff:
            await self.refuse("unauthorized", "Log in to the desk.", Close.UNAUTHORIZED)
            return
        self.agent = user
        self.session_key = self.scope["session"].session_key if "session" in self.scope else None
        self.session_name = session_digest(self.session_key) if self.session_key else None
        self.inbox_ids = await database_sync_to_async(socket_actions.desk_inbox_ids)(user)
        self.groups_joined = [
            *map(events.inbox_group, self.inbox_ids),
            presence.DESK_GROUP,
            presence.agent_group(user.pk),
        ]
        await self.join(*self.groups_joined)
        availability = await database_sync_to_async(presence.agent_desk_connected)(
            agent=user, channel_name=self.channel_name
        )
        self.watchdog = asyncio.create_task(self.watch_session())
        hello: DeskHello = {
            "type": EventType.HELLO,
            "protocol": PROTOCOL_VERSION,
            "agent_id": user.pk,
            "inbox_ids": self.inbox_ids,
            "availability": availability,
        }
        await self.hello(hello)

    def serving(self) -> bool:
        return self.agent is not None

    async def disconnect(self, code: int) -> None:
        if self.agent is None:
            return
        self.watchdog.cancel()
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        await database_sync_to_async(presence.agent_desk_disconnected)(
            agent_id=self.agent.pk, channel_name=self.channel_name
        )

    async def watch_session(self) -> None:
        """Close once the session is gone (logout) or the agent is deactivated, should no
        agent.signed_out say so. The first check comes at a random point of the interval, so tabs
        that connect together (after a restart) do not all query at once."""
        delay = random.uniform(0, SESSION_CHECK_SECONDS)
        while not self.signed_out:
            await asyncio.sleep(delay)
            delay = SESSION_CHECK_SECONDS
            valid = await database_sync_to_async(socket_actions.desk_session_valid)(
                agent_id=self.agent.pk,
                session_key=self.session_key,
                session_class=settings.SESSION_ENGINE + ".SessionStore",
            )
            if not valid:
                await self.sign_out()

    async def sign_out(self) -> None:
        """Tell the desk its session ended, and close (once: the event or the check, first wins)."""
        if self.signed_out:
            return
        self.signed_out = True
        await self.send_event(
            {"type": EventType.ERROR, "code": "logged_out", "detail": "Your session ended."}
        )
        await self.close(code=Close.LOGGED_OUT)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.agent is None or self.closing:
            return
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        if len(raw.encode()) > MAX_FRAME_BYTES:
            await self.close(code=Close.TOO_BIG)
            return
        try:
            request = read_json(raw)
            handler = self.handlers()[request["type"]]
            await handler(request, request.get("ref"))
        except Refused as refusal:
            await self.send_event(
                {
                    "type": EventType.ERROR,
                    "code": refusal.code,
                    "detail": refusal.detail,
                    "ref": request.get("ref"),
                }
            )
        except BadInput as bad:
            await self.send_event({"type": EventType.ERROR, "code": "bad_request", "detail": str(bad)})
        except (ValueError, KeyError, TypeError):
            await self.send_event(
                {"type": EventType.ERROR, "code": "bad_request", "detail": "Expected a known JSON message."}
            )

    def handlers(self) -> dict[str, Callable[[dict, Any], Awaitable[None]]]:
        return {
            Request.PING: self.on_ping,
            Request.HISTORY_AFTER: self.on_history_after,
            Request.VIEWING: self.on_viewing,
            Request.TYPING: self.on_typing,
        }

    # --- desk actions ---

    async def on_ping(self, request: dict, ref: Any) -> None:
        """Heartbeat every ~25 s: keeps presence (active: the agent used the desk since the last
        one), re-joins groups a restarted Redis forgot."""
        await self.join(*self.groups_joined)
        availability = await database_sync_to_async(presence.agent_desk_heartbeat)(
            agent=self.agent, channel_name=self.channel_name, active=bool(request.get("active", True))
        )
        await self.send_event({"type": EventType.PONG, "ref": ref, "availability": availability})

    async def on_history_after(self, request: dict, ref: Any) -> None:
        page = await database_sync_to_async(socket_actions.history_after)(
            self.agent,
            conversation_id=int(request["conversation_id"]),
            after_seq=int(request.get("after_seq", 0)),
            limit=min(max(int(request.get("limit", 50)), 1), 100),
        )
        await self.send_event({"type": EventType.HISTORY, "ref": ref, **page})

    async def on_viewing(self, request: dict, ref: Any) -> None:
        """Announce that this agent has a conversation open (repeat every ~20 s while it is)."""
        conversation = await database_sync_to_async(socket_actions.conversation_for_agent)(
            self.agent, int(request["conversation_id"])
        )
        viewing: AgentViewing = {
            "type": EventType.AGENT_VIEWING,
            "conversation_id": conversation.pk,
            "agent_id": self.agent.pk,
            "name": await self.agent_name(),
            "viewing": bool(request.get("viewing", True)),
        }
        await self.channel_layer.group_send(events.inbox_group(conversation.inbox_id), viewing)

    async def on_typing(self, request: dict, ref: Any) -> None:
        """Tell other agents; a public reply being typed is shown to the customer too."""
        conversation = await database_sync_to_async(socket_actions.conversation_for_agent)(
            self.agent, int(request["conversation_id"])
        )
        event: AgentTyping = {
            "type": EventType.AGENT_TYPING,
            "conversation_id": conversation.pk,
            "seq": conversation.last_seq,
            "agent_id": self.agent.pk,
            "name": await self.agent_name(),
            "typing": bool(request.get("typing", True)),
            "private": bool(request.get("private", False)),
        }
        await self.channel_layer.group_send(events.inbox_group(conversation.inbox_id), event)
        if not event["private"]:
            await self.channel_layer.group_send(
                events.contact_group(conversation.contact_id, conversation.inbox_id), event
            )

    async def agent_name(self) -> str:
        if not hasattr(self, "_name"):
            self._name = await database_sync_to_async(_display_name)(self.agent)
        return self._name

    # --- events from the channel layer ---

    def view(self, event: dict) -> dict | None:
        """Events carry what agents see (message.created its message, rendered once by the writer):
        passed on as they are, the same dict (and so one encoding) for every desk of the process;
        another agent's viewing and typing only, and a sign-out closes."""
        kind = event["type"]
        if kind == EventType.AGENT_SIGNED_OUT:
            # A logout of this socket's session, or the agent's deactivation (no session named).
            if event["session"] is None or event["session"] == self.session_name:
                self.signing_out = asyncio.ensure_future(self.sign_out())
            return None
        if kind in (EventType.AGENT_VIEWING, EventType.AGENT_TYPING) and event["agent_id"] == self.agent.pk:
            return None
        return event if kind in self.hears else None


def _display_name(agent) -> str:
    profile = getattr(agent, "agent_profile", None)
    return getattr(profile, "name", "") or agent.get_username()
