"""Every change to conversations goes through these functions (STYLE.md, "One layer owns every change").

Lock order, everywhere: locks.py.
"""

from .contacts import (
    contact_edit,
    contact_identify,
    contact_merge,
    contact_merge_suggestions,
    contact_set_attributes,
    contact_touch_last_seen,
    contact_update_details,
    contact_verify_external_id,
)
from .conversations import (
    KEEP,
    WAKE_BATCH_SIZE,
    conversation_assign,
    conversation_mark_pending,
    conversation_mark_read_by_agent,
    conversation_mark_read_by_contact,
    conversation_reopen,
    conversation_resolve,
    conversation_set_skill,
    conversation_snooze,
    conversation_update,
    conversations_auto_resolve_pending,
    conversations_wake_snoozed,
    label_create,
)
from .delivery import (
    message_deliver,
    message_retry_delivery,
    message_update_delivery_status,
    outbound_requeue_due,
)
from .live import (
    EXPIRY_BATCH_SIZE,
    SessionState,
    live_session_end,
    live_sessions_expire,
    queue_announce_due,
    session_customer_present,
    session_states,
)
from .media import MediaRefused, attachment_store_download
from .messages import AttachmentInput, message_post_reply, message_receive, message_receive_once
from .notices import contact_notify_of_replies, transcript_send
from .templates import message_post_template, templates_sync, templates_sync_all

__all__ = [
    "EXPIRY_BATCH_SIZE",
    "KEEP",
    "WAKE_BATCH_SIZE",
    "AttachmentInput",
    "MediaRefused",
    "SessionState",
    "attachment_store_download",
    "contact_edit",
    "contact_identify",
    "contact_merge",
    "contact_merge_suggestions",
    "contact_notify_of_replies",
    "contact_set_attributes",
    "contact_touch_last_seen",
    "contact_update_details",
    "contact_verify_external_id",
    "conversation_assign",
    "conversation_mark_pending",
    "conversation_mark_read_by_agent",
    "conversation_mark_read_by_contact",
    "conversation_reopen",
    "conversation_resolve",
    "conversation_set_skill",
    "conversation_snooze",
    "conversation_update",
    "conversations_auto_resolve_pending",
    "conversations_wake_snoozed",
    "label_create",
    "live_session_end",
    "live_sessions_expire",
    "message_deliver",
    "message_post_reply",
    "message_post_template",
    "message_receive",
    "message_receive_once",
    "message_retry_delivery",
    "message_update_delivery_status",
    "outbound_requeue_due",
    "queue_announce_due",
    "session_customer_present",
    "session_states",
    "templates_sync",
    "templates_sync_all",
    "transcript_send",
]
