"""Reads the bot needs."""

from conversations.settings_rows import SettingsCache

from .models import AnswerBot

# Whether an inbox's bot takes new conversations, per inbox, while no bot or inbox changed.
_takes: SettingsCache[bool] = SettingsCache(
    lambda inbox_id: AnswerBot.objects.filter(inbox_id=inbox_id, enabled=True).exists()
)


def inbox_bot_takes(inbox_id: int) -> bool:
    """Does this inbox's bot take new conversations? Asked when a conversation starts; a query only
    the first time in a process after a bot or an inbox changed (conversations/settings_rows.py)."""
    return bool(_takes.get(inbox_id))
