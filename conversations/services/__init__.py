"""Every change to conversations goes through these functions (STYLE.md, "One layer owns every change").

Lock order, everywhere: contact, then conversation, then outbound delivery rows.
"""

from .contacts import contact_identify, contact_update_details, contact_verify_external_id
from .conversations import (
    KEEP,
    conversation_assign,
    conversation_mark_pending,
    conversation_mark_read_by_agent,
    conversation_mark_read_by_contact,
    conversation_reopen,
    conversation_resolve,
    conversation_snooze,
    conversation_update,
    conversations_wake_snoozed,
)
from .delivery import (
    message_deliver,
    message_retry_delivery,
    message_update_delivery_status,
    outbound_requeue_due,
)
from .messages import AttachmentInput, message_post_reply, message_receive

__all__ = [
    "KEEP",
    "AttachmentInput",
    "contact_identify",
    "contact_update_details",
    "contact_verify_external_id",
    "conversation_assign",
    "conversation_mark_pending",
    "conversation_mark_read_by_agent",
    "conversation_mark_read_by_contact",
    "conversation_reopen",
    "conversation_resolve",
    "conversation_snooze",
    "conversation_update",
    "conversations_wake_snoozed",
    "message_deliver",
    "message_post_reply",
    "message_receive",
    "message_retry_delivery",
    "message_update_delivery_status",
    "outbound_requeue_due",
]
