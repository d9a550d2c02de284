"""The registry between the core and whatever speaks a provider's language.

The core never imports channels_in: channels_in registers one sender per channel type when its
app is ready, and the outbound delivery service asks this registry. A channel type with no
registered sender (before its adapter exists) keeps its messages queued and unfailed, rechecked
by the outbox sweep.

Likewise the agents app registers how to tell whether an inbox has someone online, which the
widget shows its visitors ("online now"), without channels_in importing agents; and an edge app
that asks the customer something on resolve (reports' satisfaction survey) registers a reply
catcher, so the answer does not reopen the conversation.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .commit import on_commit_once
from .models import ChannelType, Conversation, Inbox, Message


@dataclass(frozen=True)
class SendReceipt:
    """What a provider answered when it accepted a message."""

    provider_message_id: str


class DeliveryError(Exception):
    def __init__(self, reason: str, *, code: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class TransientDeliveryError(DeliveryError):
    """Timeouts, rate limits and 5xx: worth another attempt, after `retry_after` seconds if given.

    `ambiguous` means the request may have reached the provider and been accepted (the answer
    timed out or the connection broke after sending): the next attempt asks the provider first.
    """

    def __init__(
        self, reason: str, *, code: str = "", retry_after: float | None = None, ambiguous: bool = False
    ) -> None:
        super().__init__(reason, code=code)
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class PermanentDeliveryError(DeliveryError):
    """The provider refused for good (bad number, blocked, outside the window): fail at once."""


class CannotTell(Exception):
    """The provider offers no way to look a sent message up."""


class OutboundSender(Protocol):
    def send(self, message: Message) -> SendReceipt:
        """Hand `message` to the provider once; raise a DeliveryError subclass when it refuses."""
        ...

    def find_accepted(self, message: Message, *, since: datetime) -> SendReceipt | None:
        """After an attempt whose answer was lost: the provider's record of `message` sent since
        `since`, or None when it has none. Raises CannotTell where the provider cannot be asked."""
        ...


# Channels whose replies reach the customer over Parley's own websocket: no provider call.
PUSH_CHANNEL_TYPES = frozenset({ChannelType.WEB_WIDGET})

_senders: dict[str, OutboundSender] = {}


def needs_provider_delivery(channel_type: str) -> bool:
    return channel_type not in PUSH_CHANNEL_TYPES


def register_sender(channel_type: str, sender: OutboundSender) -> None:
    _senders[channel_type] = sender


def unregister_sender(channel_type: str) -> None:
    _senders.pop(channel_type, None)


def sender_for(channel_type: str) -> OutboundSender | None:
    return _senders.get(channel_type)


# Channels with approved templates (WhatsApp) register how to fetch an inbox's templates, as
# dicts {name, language, status, category, body, components}; the core stores them.
_template_sources: dict[str, Callable[[Inbox], list[dict]]] = {}


def register_template_source(channel_type: str, fetch: Callable[[Inbox], list[dict]]) -> None:
    _template_sources[channel_type] = fetch


def template_source_for(channel_type: str) -> Callable[[Inbox], list[dict]] | None:
    return _template_sources.get(channel_type)


def template_channel_types() -> list[str]:
    return list(_template_sources)


# Channels say what an inbox's settings (Inbox.config) must hold; the admin shows the problems, in
# words, where the settings are saved.
_config_checks: dict[str, Callable[[dict], list[str]]] = {}


def register_config_check(channel_type: str, check: Callable[[dict], list[str]]) -> None:
    _config_checks[channel_type] = check


def config_problems(channel_type: str, config: object) -> list[str]:
    if not isinstance(config, dict):
        return ['The channel settings are a JSON object: {"key": "value", …}.']
    check = _config_checks.get(channel_type)
    return check(config) if check else []


# Channels whose provider can say whether an inbox's credentials work: asked when the admin saves
# new or changed ones (the `keys`), after the settings passed their check.
_credential_checks: dict[str, tuple[tuple[str, ...], Callable[[dict], list[str]]]] = {}


def register_credentials_check(
    channel_type: str, keys: tuple[str, ...], check: Callable[[dict], list[str]]
) -> None:
    _credential_checks[channel_type] = (keys, check)


def credential_problems(channel_type: str, config: dict, before: dict) -> list[str]:
    keys, check = _credential_checks.get(channel_type, ((), None))
    if check is None or all(config.get(key) == before.get(key) for key in keys):
        return []
    return check(config)


@dataclass(frozen=True)
class SettingField:
    """One key of an inbox's settings (Inbox.config) that the admin shows as a field of its own."""

    key: str
    label: str
    help: str = ""
    secret: bool = False  # shown masked
    number: bool = False  # stored as a number (a port)
    choices: tuple[str, ...] = ()
    many: bool = False  # several of the choices, stored as a list


# Channels name the settings keys the admin shows as fields (the rest stay in the JSON box).
_setting_fields: dict[str, tuple[SettingField, ...]] = {}


def register_setting_fields(channel_type: str, fields: tuple[SettingField, ...]) -> None:
    _setting_fields[channel_type] = fields


def setting_fields(channel_type: str) -> tuple[SettingField, ...]:
    return _setting_fields.get(channel_type, ())


# Channels say what to paste where to connect an inbox (the widget's tag, the webhook URL): pairs
# of (what and where, the text to paste), shown on the inbox's admin page.
_setup_guides: dict[str, Callable[[Inbox], list[tuple[str, str]]]] = {}


def register_setup_guide(channel_type: str, guide: Callable[[Inbox], list[tuple[str, str]]]) -> None:
    _setup_guides[channel_type] = guide


def setup_guide(inbox: Inbox) -> list[tuple[str, str]]:
    guide = _setup_guides.get(inbox.channel_type)
    return guide(inbox) if guide else []


_someone_online: Callable[[int], bool] = lambda inbox_id: False  # noqa: E731 (until agents registers)


def register_presence(someone_online: Callable[[int], bool]) -> None:
    global _someone_online
    _someone_online = someone_online


def inbox_has_someone_online(inbox_id: int) -> bool:
    """Is an agent who works this inbox (or an admin) online right now?"""
    return _someone_online(inbox_id)


# Routing lives in the agents app (who is online, capacity); the core only says when it is due:
# a conversation started waiting in an inbox, or an agent's load went down. Both run after the
# transaction commits, so routing reads committed state and takes its own locks.
_route_inbox: Callable[[int], object] = lambda inbox_id: None  # noqa: E731 (until agents registers)
_route_for_agent: Callable[[int], object] = lambda agent_id: None  # noqa: E731


def register_router(
    *, route_inbox: Callable[[int], object], route_for_agent: Callable[[int], object]
) -> None:
    global _route_inbox, _route_for_agent
    _route_inbox, _route_for_agent = route_inbox, route_for_agent


_keeps_assignee: Callable[[int, int, object], bool] = lambda inbox_id, agent_id, resolved_at: True  # noqa: E731


def register_stickiness(keeps_assignee: Callable[[int, int, object], bool]) -> None:
    global _keeps_assignee
    _keeps_assignee = keeps_assignee


def keeps_assignee(*, inbox_id: int, agent_id: int, resolved_at) -> bool:
    """A customer came back to a resolved conversation: does it stay with (or go back to) the
    agent who had it? The agents app decides (online, under capacity, not too long ago)."""
    return _keeps_assignee(inbox_id, agent_id, resolved_at)


def routing_due(*, inbox_id: int | None = None, agent_id: int | None = None) -> None:
    """Route after commit, once per transaction for each: the waiting conversations of `inbox_id`,
    and/or those of the inboxes `agent_id` works (they have room now)."""
    if inbox_id is not None:
        on_commit_once(("route inbox", inbox_id), lambda: _route_inbox(inbox_id))
    if agent_id is not None:
        on_commit_once(("route for agent", agent_id), lambda: _route_for_agent(agent_id))


# Self-service registers its answer bot: whether an inbox's bot takes a conversation that starts
# (or comes back unassigned), and what to do after commit with a conversation the bot has whose
# customer wrote (queue the bot's turn). Without it, no conversation ever goes to a bot.
_answer_bot_takes: Callable[[int], bool] = lambda inbox_id: False  # noqa: E731 (until self-service registers)
_answer_bot_turn: Callable[[int], object] = lambda conversation_id: None  # noqa: E731


def register_answer_bot(*, takes: Callable[[int], bool], turn: Callable[[int], object]) -> None:
    global _answer_bot_takes, _answer_bot_turn
    _answer_bot_takes, _answer_bot_turn = takes, turn


def answer_bot_takes(inbox_id: int) -> bool:
    return _answer_bot_takes(inbox_id)


def answer_bot_due(conversation_id: int) -> None:
    """The bot's turn in `conversation_id`, after commit, once per transaction."""
    on_commit_once(("answer bot", conversation_id), lambda: _answer_bot_turn(conversation_id))


# An edge app that asks the customer something when a conversation is resolved (reports' CSAT
# survey) registers a reply catcher. message_receive asks the catchers, holding the conversation's
# lock, before a customer's text (without files) reopens a resolved conversation: a catcher answers
# None (not its business: the message reopens it as usual) or a taker, called with the stored
# message inside the same transaction. A caught message is stored as the customer's and announced;
# the conversation stays resolved: no reopen, no waiting, no routing, no bot, no live session.
# Asking must change nothing (the inbox's "start new" policy asks too, unlocked, to pick the
# conversation); the taker does the work.
ReplyTaker = Callable[[Message], object]
ReplyCatcher = Callable[[Conversation, str], ReplyTaker | None]
_reply_catchers: list[ReplyCatcher] = []


def register_reply_catcher(catcher: ReplyCatcher) -> None:
    if catcher not in _reply_catchers:
        _reply_catchers.append(catcher)


def reply_taker(conversation: Conversation, body: str) -> ReplyTaker | None:
    """Who takes the customer's `body` to the resolved `conversation` instead of it reopening; None
    when no catcher does."""
    for catcher in _reply_catchers:
        taker = catcher(conversation, body)
        if taker is not None:
            return taker
    return None
