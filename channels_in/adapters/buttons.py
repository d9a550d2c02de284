"""Replies offered with a message (Message.actions, [{"id", "title"}]) as each provider draws them:
Telegram's inline keyboard, Messenger's and Instagram's quick replies, WhatsApp's reply buttons.

A channel draws them when it can draw that many (Capabilities.buttons); otherwise the answer bot has
already written them into the text as numbered lines, and the message goes as plain text.

The customer's tap comes back as an ordinary message whose body is the reply's whole title, even
where the button showed it shortened: the adapter looks the title up by the id the tap carries, on
the message that was tapped (or, where the provider names none, the latest one that offered it).
The answer bot reads titles, numbers and ids alike (answerbot.reading.picked_action).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from conversations.capabilities import capabilities_of
from conversations.models import Inbox, Message

ELLIPSIS = "…"


@dataclass(frozen=True)
class Button:
    id: str  # what a tap sends back: the reply's id, or its number where the ids do not all fit
    title: str  # as the button shows it


def drawn_actions(message: Message) -> list[dict[str, str]]:
    """The message's offered replies when its channel draws them as buttons; [] when there are
    none, or more than the channel draws (the bot then wrote them into the text as numbered lines)."""
    actions = list(message.actions or [])
    limit = capabilities_of(message.conversation.inbox.channel_type).buttons
    return actions if 0 < len(actions) <= limit else []


def buttons_for(
    actions: Sequence[dict[str, str]], *, id_bytes: int, title_length: int | None = None
) -> list[Button]:
    """The buttons a provider takes: ids of at most `id_bytes` UTF-8 bytes (when one is longer,
    every button carries its number instead, which the bot reads as a pick too) and titles of at
    most `title_length` characters, shortened with "…". Titles stay distinct (WhatsApp refuses
    twins): when shortening would make two alike, each is numbered first ("2. …")."""
    fits = all(0 < len(action["id"].encode()) <= id_bytes for action in actions)
    ids = [action["id"] if fits else str(number) for number, action in enumerate(actions, 1)]
    titles = [" ".join(action["title"].split()) or str(number) for number, action in enumerate(actions, 1)]
    shown = [shortened(title, title_length) for title in titles]
    if len(set(shown)) < len(shown):
        shown = [shortened(f"{number}. {title}", title_length) for number, title in enumerate(titles, 1)]
    return [Button(id=button_id, title=title) for button_id, title in zip(ids, shown, strict=True)]


def shortened(text: str, length: int | None) -> str:
    if length is None or len(text) <= length:
        return text
    return text[: length - 1].rstrip() + ELLIPSIS


def title_of(actions: Sequence[dict[str, str]], picked: str) -> str:
    """The title of the reply whose id (or, failing that, whose number) is `picked`; '' for none."""
    by_id = next((str(action.get("title") or "") for action in actions if action.get("id") == picked), "")
    if by_id or not picked.isdigit() or not 1 <= int(picked) <= len(actions):
        return by_id
    return str(actions[int(picked) - 1].get("title") or "")


def offered_title(inbox: Inbox, picked: str, *, provider_message_id: str = "", customer: str = "") -> str:
    """The whole title of the reply the customer tapped: `picked` is the id (or number) the tap
    carries, looked up on the message the provider says was tapped (`provider_message_id`), else on
    the latest message to `customer` that offered replies. '' when Parley offered no such reply
    (the caller then keeps what the provider sent). One indexed query."""
    outgoing = Message.objects.filter(inbox=inbox).exclude(sender_kind=Message.SenderKind.CONTACT)
    if provider_message_id:
        offers = outgoing.filter(provider_message_id=provider_message_id)
    elif customer:
        offers = (
            outgoing.filter(
                conversation__contact__identities__inbox=inbox,
                conversation__contact__identities__source_id=customer,
            )
            .exclude(actions=[])
            .order_by("-created_at", "-pk")
        )
    else:
        return ""
    actions = offers.values_list("actions", flat=True).first()
    return title_of(actions, picked) if isinstance(actions, list) else ""
