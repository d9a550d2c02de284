"""Reads the bot needs."""

from .models import AnswerBot


def inbox_bot_takes(inbox_id: int) -> bool:
    """Does this inbox's bot take new conversations? One indexed query, when a conversation starts."""
    return AnswerBot.objects.filter(inbox_id=inbox_id, enabled=True).exists()
