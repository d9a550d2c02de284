"""A mail storm from one sender (a broken script, a vacation program answering our answers, a
loop between two robots): past settings.PARLEY_EMAIL_SENDER_LIMIT mails from one address to one
inbox within PARLEY_EMAIL_SENDER_WINDOW_SECONDS, the rest are still stored, every one, but open
nothing, wake nobody and draw no answer, so no loop outlives the limit. Agents are told once a
window, by an agent-only line in the conversation (the one an automatic mail gets).

The window is fixed: it starts at the first mail counted and, once it is over, the next mail
starts a new one. Counted under the sender's row lock in the caller's transaction, so two
workers count one storm once and a mail whose storing fails is not counted.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from conversations.models import Inbox

from ..models import MailSenderWindow


@dataclass(frozen=True)
class SenderPace:
    mails: int  # this mail's number in its sender's window
    window_ends_at: datetime

    @property
    def over(self) -> bool:
        return self.mails > settings.PARLEY_EMAIL_SENDER_LIMIT

    @property
    def first_over(self) -> bool:
        """The first mail past the limit in this window: the one agents are told about."""
        return self.mails == settings.PARLEY_EMAIL_SENDER_LIMIT + 1


def sender_mail_count(*, inbox: Inbox, address: str) -> SenderPace:
    """Count a mail from `address` to `inbox` (inside the caller's transaction)."""
    now = timezone.now()
    window = timedelta(seconds=settings.PARLEY_EMAIL_SENDER_WINDOW_SECONDS)
    row, _ = MailSenderWindow.objects.get_or_create(
        inbox=inbox, address=address[:320], defaults={"window_started_at": now}
    )
    row = MailSenderWindow.objects.select_for_update().get(pk=row.pk)
    if row.window_started_at + window <= now:
        row.window_started_at, row.mails = now, 0
    row.mails += 1
    row.save(update_fields=["window_started_at", "mails"])
    return SenderPace(mails=row.mails, window_ends_at=row.window_started_at + window)


def quiet_senders_forget() -> int:
    """Delete the counts of senders whose window is over: the next mail of each starts a new
    window anyway, so they say nothing, and one row per address that ever wrote would grow with
    the customer list. How many were deleted."""
    window = timedelta(seconds=settings.PARLEY_EMAIL_SENDER_WINDOW_SECONDS)
    deleted, _ = MailSenderWindow.objects.filter(window_started_at__lte=timezone.now() - window).delete()
    return deleted


def storm_note(address: str, pace: SenderPace) -> str:
    minutes = max(1, settings.PARLEY_EMAIL_SENDER_WINDOW_SECONDS // 60)
    until = timezone.localtime(pace.window_ends_at).strftime("%H:%M")
    return (
        f"{address} sent more than {settings.PARLEY_EMAIL_SENDER_LIMIT} mails in {minutes} minutes. "
        f"Until {until} their mails are stored here without reopening the conversation, routing it "
        "or drawing an answer."
    )
