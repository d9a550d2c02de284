"""Media a provider holds, brought home: an attachment's bytes stored once fetched."""

import logging

from django.core.files.base import ContentFile
from django.db import transaction

from .. import events
from ..event_catalogue import EventType
from ..files import MAX_PROVIDER_MEDIA_BYTES, safe_file_name, sniff_media
from ..models import Attachment
from ..payloads import message_payload
from ..refusals import Refused

logger = logging.getLogger(__name__)


def attachment_store_download(*, attachment_id: int, content: bytes, file_name: str = "") -> Attachment:
    """Store the fetched bytes of a provider's attachment. What the file is comes from its
    content, never from the provider's word; a file too large or of a kind Parley does not keep
    is refused and stays a link. Storing twice is harmless: a stored attachment is left alone.
    Announces the message again (message.updated) so open desks show the file."""
    if len(content) > MAX_PROVIDER_MEDIA_BYTES:
        raise Refused(
            "media_refused", f"The file is larger than {MAX_PROVIDER_MEDIA_BYTES // (1024 * 1024)} MB."
        )
    mime_type = sniff_media(content[:16])
    if mime_type is None:
        raise Refused(
            "media_refused", "Parley keeps images, PDFs, audio and video; this file stays at the provider."
        )
    with transaction.atomic():
        attachment = (
            Attachment.objects.select_for_update(of=("self",))
            .select_related("message__conversation")
            .get(pk=attachment_id)
        )
        if attachment.file:
            return attachment
        name = safe_file_name(file_name or attachment.file_name or "media", mime_type)
        attachment.file.save(name, ContentFile(content), save=False)
        attachment.mime_type, attachment.file_name, attachment.byte_size = mime_type, name, len(content)
        attachment.save(update_fields=["file", "mime_type", "file_name", "byte_size"])
        message = attachment.message
        events.publish_on_commit(
            events.conversation_event(
                EventType.MESSAGE_UPDATED,
                message.conversation,
                message_id=message.pk,
                message_seq=message.seq,
                delivery_status=message.delivery_status,
                message=message_payload(message, for_agents=True),
            ),
            groups=events.conversation_groups(message.conversation),
        )
        return attachment
