"""Parley's core records: who the customers are, where they write, and what was said.

The conversation is a persistent thread; live sessions are synchronous stretches inside it.
Messages are numbered per conversation by `seq` (gap-free, assigned under the conversation's row
lock by conversations.services). Uniqueness that protects ingest lives in database constraints.

One module per family, all re-exported here, so `from conversations.models import Inbox` is the
way in (migrations also name `conversations.models.new_public_key`, `new_identity_secret` and
`attachment_path`):

- inboxes: `Inbox`, its `ChannelType` and the key and secret it is created with
- contacts: `Contact`, `ContactIdentity`
- conversations: `Conversation`, `Label`, `ReadMarker`
- messages: `Message`, `Attachment`
- sessions: `LiveSession`
- delivery: `OutboundDelivery`, `DeliveryAttempt`
- message_templates: `MessageTemplate`
- email: `MessageEmail`
"""

from .contacts import Contact, ContactIdentity
from .conversations import Conversation, Label, ReadMarker
from .delivery import DeliveryAttempt, OutboundDelivery
from .email import MessageEmail
from .inboxes import ChannelType, Inbox, new_identity_secret, new_public_key
from .message_templates import PLACEHOLDER, MessageTemplate
from .messages import Attachment, Message, attachment_path
from .sessions import LiveSession

__all__ = [
    "PLACEHOLDER",
    "Attachment",
    "ChannelType",
    "Contact",
    "ContactIdentity",
    "Conversation",
    "DeliveryAttempt",
    "Inbox",
    "Label",
    "LiveSession",
    "Message",
    "MessageEmail",
    "MessageTemplate",
    "OutboundDelivery",
    "ReadMarker",
    "attachment_path",
    "new_identity_secret",
    "new_public_key",
]
