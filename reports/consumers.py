"""The live floor's socket (/ws/v1/floor/): session-authenticated, same-origin, supervisors and
administrators only. It hears every inbox's committed changes and the agents' presence, and tells
the page "something changed" at most every COALESCE_SECONDS; the page then fetches the floor
again. It reads nothing and changes no presence: watching the floor does not make a supervisor
available for routing."""

import asyncio
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from agents import presence
from agents.selectors import sees_all_reports
from conversations import events
from conversations.models import Inbox
from conversations.sockets import Close

COALESCE_SECONDS = 0.5


def _groups() -> list[str]:
    return [*map(events.inbox_group, Inbox.objects.filter(is_active=True).values_list("pk", flat=True))]


class FloorConsumer(AsyncWebsocketConsumer):
    groups_joined: list[str] = []
    pending: asyncio.Task | None = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        allowed = user is not None and user.is_authenticated
        if allowed:
            allowed = await database_sync_to_async(sees_all_reports)(user)
        if not allowed:
            await self.close(code=Close.UNAUTHORIZED)
            return
        self.groups_joined = [*(await database_sync_to_async(_groups)()), presence.DESK_GROUP]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.send(text_data='{"type":"floor.changed"}')

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.pending is not None:
            self.pending.cancel()

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type", "").startswith("websocket."):
            await super().dispatch(message)
        elif self.pending is None or self.pending.done():
            self.pending = asyncio.create_task(self._changed())

    async def _changed(self) -> None:
        await asyncio.sleep(COALESCE_SECONDS)
        await self.send(text_data='{"type":"floor.changed"}')
