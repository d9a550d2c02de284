"""Inbound media: fetched from the provider by a task, then stored by the core."""

import logging

from conversations import services
from conversations.models import Attachment
from conversations.refusals import Refused
from conversations.registry import PermanentDeliveryError

from .adapters.base import InboundMedia
from .adapters.by_provider import adapter_for_channel_type

logger = logging.getLogger(__name__)

DOWNLOAD_MEDIA = "channels_in.tasks.download_media"  # the job that calls attachment_download


def attachment_download(attachment_id: int) -> None:
    """Fetch one attachment a customer sent and store it. A transient provider error raises
    (the task retries); a refusal leaves the attachment a link at the provider, logged."""
    attachment = Attachment.objects.select_related("message__inbox").get(pk=attachment_id)
    if attachment.file or not attachment.remote_url:
        return
    inbox = attachment.message.inbox
    adapter = adapter_for_channel_type(inbox.channel_type)
    if adapter is None:
        return
    media = InboundMedia(
        reference=attachment.remote_url, mime_type=attachment.mime_type, file_name=attachment.file_name
    )
    try:
        fetched = adapter.fetch_media(inbox, media)
        services.attachment_store_download(
            attachment_id=attachment_id, content=fetched.content, file_name=fetched.file_name
        )
    except (PermanentDeliveryError, Refused) as refused:
        logger.warning("attachment %s stays at the provider: %s", attachment_id, refused)
