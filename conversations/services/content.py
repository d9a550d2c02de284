"""What a message may hold, checked before anything is stored: the rules every message, in or
out, obeys, and those of the channel a reply goes out on."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ..boundary import NOT_STORABLE, unstorable
from ..capabilities import OutgoingFile, send_refusal
from ..models import Conversation
from .appending import AttachmentInput

MAX_BODY_LENGTH = 20_000


def check_channel_allows(
    conversation: Conversation, body: str, attachments: Sequence[AttachmentInput], *, template: bool
) -> None:
    """A public reply the channel would refuse is refused here, before anything is stored."""
    files = [OutgoingFile(item.mime_type, len(item.content or b"")) for item in attachments]
    refusal = send_refusal(conversation, body=body, files=files, by_person=True, template=template)
    if refusal is not None:
        raise ValidationError(refusal)


def _grouped(number: int) -> str:
    """20,000 in English, 20 000 in French: a count as the reader writes it."""
    return number_format(number, force_grouping=True)


def validate_content(body: str, attachments: Sequence[AttachmentInput]) -> None:
    """Text or a file, no longer than MAX_BODY_LENGTH, and text Postgres can store."""
    if not body.strip() and not attachments:
        raise ValidationError(_("A message needs text or an attachment."))
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationError(
            _("A message can be at most %(most)s characters (%(now)s now): shorten it or split it in two.")
            % {"most": _grouped(MAX_BODY_LENGTH), "now": _grouped(len(body))}
        )
    if unstorable(body):
        raise ValidationError(f"The message {NOT_STORABLE}")
