"""Every change to conversations goes through these functions (STYLE.md, "One layer owns every change").

Lock order, everywhere: locks.py.
"""

from ..selectors import SessionState, session_states
from .automatic import message_post_activity, message_post_automatic
from .bot import conversation_hand_off, message_post_bot
from .contacts import (
    contact_edit,
    contact_identify,
    contact_identify_for_message,
    contact_merge,
    contact_merge_suggestions,
    contact_set_attributes,
    contact_touch_last_seen,
    contact_update_details,
    contact_verify_external_id,
    normalised_phone,
)
from .conversations import (
    KEEP,
    WAKE_BATCH_SIZE,
    Keep,
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
    conversations_set_sla_due,
    conversations_wake_snoozed,
    label_create,
)
from .delivery import (
    MAX_DELIVERY_ATTEMPTS,
    UNKNOWN_OUTCOME,
    message_deliver,
    message_retry_delivery,
    message_update_delivery_status,
    outbound_requeue_due,
)
from .email import (
    EmailDetails,
    ReplyContext,
    email_details_record,
    email_reply_context,
    email_thread_conversation_id,
    message_post_email_reply,
    reply_subject,
)
from .expiry import (
    EXPIRY_BATCH_SIZE,
    EXPIRY_PAUSE_SECONDS,
    ExpiryBatch,
    live_sessions_expire,
    live_sessions_expire_batch,
)
from .media import attachment_store_download
from .messages import (
    MAX_BODY_LENGTH,
    AttachmentInput,
    message_post_reply,
    message_receive,
    message_receive_once,
)
from .notices import contact_notify_of_replies, transcript_lines, transcript_send
from .queue import queue_announce_due
from .sessions import ACTIVITY_LINES, live_session_end, live_slots_route, session_customer_present
from .templates import message_post_template, templates_sync, templates_sync_all

__all__ = [
    "ACTIVITY_LINES",
    "EXPIRY_BATCH_SIZE",
    "EXPIRY_PAUSE_SECONDS",
    "KEEP",
    "MAX_BODY_LENGTH",
    "MAX_DELIVERY_ATTEMPTS",
    "UNKNOWN_OUTCOME",
    "WAKE_BATCH_SIZE",
    "AttachmentInput",
    "EmailDetails",
    "ExpiryBatch",
    "Keep",
    "ReplyContext",
    "SessionState",
    "attachment_store_download",
    "contact_edit",
    "contact_identify",
    "contact_identify_for_message",
    "contact_merge",
    "contact_merge_suggestions",
    "contact_notify_of_replies",
    "contact_set_attributes",
    "contact_touch_last_seen",
    "contact_update_details",
    "contact_verify_external_id",
    "conversation_assign",
    "conversation_hand_off",
    "conversation_mark_pending",
    "conversation_mark_read_by_agent",
    "conversation_mark_read_by_contact",
    "conversation_reopen",
    "conversation_resolve",
    "conversation_set_skill",
    "conversation_snooze",
    "conversation_update",
    "conversations_auto_resolve_pending",
    "conversations_set_sla_due",
    "conversations_wake_snoozed",
    "email_details_record",
    "email_reply_context",
    "email_thread_conversation_id",
    "label_create",
    "live_session_end",
    "live_sessions_expire",
    "live_sessions_expire_batch",
    "live_slots_route",
    "message_deliver",
    "message_post_activity",
    "message_post_automatic",
    "message_post_bot",
    "message_post_email_reply",
    "message_post_reply",
    "message_post_template",
    "message_receive",
    "message_receive_once",
    "message_retry_delivery",
    "message_update_delivery_status",
    "normalised_phone",
    "outbound_requeue_due",
    "queue_announce_due",
    "reply_subject",
    "session_customer_present",
    "session_states",
    "templates_sync",
    "templates_sync_all",
    "transcript_lines",
    "transcript_send",
]
