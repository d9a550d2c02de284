"""The inbox a webhook names: the active inbox of that public key, from the process's memory
while no inbox changed (conversations/settings_rows.py), if it is of the adapter's channels."""

from conversations.models import Inbox
from conversations.settings_rows import active_inbox_by_key


def webhook_inbox(public_key: str, channel_types: tuple[str, ...]) -> Inbox | None:
    """The active inbox with this public key and one of these channel types, or None."""
    inbox = active_inbox_by_key(public_key)
    return inbox if inbox is not None and inbox.channel_type in channel_types else None
