"""Celery tasks of the channels: id-only arguments, one service call each. None retries without
bound: a download has a fixed number of tries, and a receipt's tries are counted on its row."""

from celery import shared_task

from conversations.models import ChannelType, Inbox
from conversations.pacing import at_low_priority
from conversations.registry import TransientDeliveryError

from . import media, profiles, receipts
from .email import imap, storms


@shared_task(
    acks_late=True,
    # Not requeued when its worker dies: a file that kills the worker (too large to hold, say)
    # would kill the next one too, for ever. The attachment stays a link at the provider.
    reject_on_worker_lost=False,
    autoretry_for=(OSError, TransientDeliveryError),
    retry_backoff=True,
    max_retries=6,
)
def download_media(attachment_id: int) -> None:
    """Seven tries at most, within about a minute (exponential backoff with jitter); any other
    error, or the last transient one, leaves the attachment a link at the provider."""
    media.attachment_download(attachment_id)


@shared_task(
    ignore_result=True,
    autoretry_for=(TransientDeliveryError,),
    retry_backoff=True,
    max_retries=3,
)
def fetch_contact_profile(contact_id: int, inbox_id: int) -> None:
    """Four tries at most for a Graph that is busy or down; a refusal is logged, not retried."""
    profiles.contact_profile_fetch(contact_id, inbox_id)


@shared_task(ignore_result=True)
def apply_new_receipts() -> int:
    """Apply the receipts the webhooks stored since the last drain (receipts.receipts_apply_soon),
    at the lowest CPU priority (conversations.pacing): the servers answering webhooks go first."""
    return at_low_priority(receipts.receipts_apply_new).result


@shared_task(ignore_result=True)
def apply_pending_receipts() -> int:
    """Beat's sweep, every minute: each pending receipt gets receipts.MAX_ATTEMPTS tries in all
    (a delivery report waits up to an hour for its message), then ends failed."""
    return receipts.receipts_apply_pending()


@shared_task(ignore_result=True)
def forget_quiet_mail_senders() -> int:
    """Beat, hourly: the mail-storm counts of senders whose window is over (email/storms.py)."""
    return storms.quiet_senders_forget()


@shared_task(ignore_result=True)
def poll_mailboxes() -> None:
    """Beat, every 30 s: one poll job per email inbox that reads a mailbox by IMAP."""
    for inbox_id in Inbox.objects.filter(
        channel_type=ChannelType.EMAIL, config__has_key="imap_host"
    ).values_list("pk", flat=True):
        poll_mailbox.delay(inbox_id)


@shared_task(ignore_result=True)
def poll_mailbox(inbox_id: int) -> int:
    """Store an inbox's new mail; a full poll queues the next at once. A mail server that cannot
    be reached is recorded on the inbox's cursor and tried at the next beat."""
    inbox = Inbox.objects.get(pk=inbox_id)
    try:
        poll = imap.mailbox_poll(inbox)
    except imap.POLL_ERRORS as error:
        imap.mailbox_poll_failed(inbox, error)
        return 0
    if poll.more:
        poll_mailbox.delay(inbox_id)
    return poll.stored
