"""What a customer's client may do over the socket, each checked against the visitor it serves.

Synchronous functions (the consumer runs them through database_sync_to_async). Each takes the
visitor's identity as `visitors.current_identity` last loaded it (with its contact and inbox); the consumer
re-checks it every few seconds and closes at once on `contact.identity_changed`, and every
conversation an action names is checked against the identity's contact and inbox.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ValidationError

from conversations import jobs, selectors, services
from conversations.models import ContactIdentity, Conversation, Inbox, LiveSession, Message
from conversations.refusals import Refused

from . import protocol

TRANSCRIPT_ONCE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class HistoryPage:
    conversation: Conversation
    messages: list[Message]
    has_more: bool


def own_conversation(identity: ContactIdentity, conversation_id: int) -> Conversation:
    conversation = Conversation.objects.filter(
        pk=conversation_id, contact_id=identity.contact_id, inbox_id=identity.inbox_id
    ).first()
    if conversation is None:
        raise Refused(protocol.ErrorCode.NOT_FOUND, "No such conversation.")
    return conversation


def conversations_list(identity: ContactIdentity) -> list[dict]:
    """The visitor's conversations, newest first; on a live inbox each carries its latest session."""
    conversations = list(
        selectors.conversations_of_contact(contact_id=identity.contact_id, inbox_id=identity.inbox_id)[:50]
    )
    payloads = [protocol.conversation_payload(conversation) for conversation in conversations]
    if identity.inbox.mode == Inbox.Mode.LIVE:
        states = services.session_states(conversations)
        for payload in payloads:
            state = states.get(payload["id"])
            payload["live_session"] = state.as_payload() if state is not None else None
    return payloads


def message_send(
    identity: ContactIdentity, *, conversation_id: int | None, client_message_id: str, body: str
) -> dict:
    """Store the visitor's message; returns it as the ack shows it (with its seq)."""
    try:
        message = services.message_receive(
            inbox=identity.inbox,
            contact=identity.contact,
            conversation_id=conversation_id,
            body=body,
            client_message_id=client_message_id,
        )
    except Conversation.DoesNotExist as error:  # checked under the conversation's lock
        raise Refused(protocol.ErrorCode.NOT_FOUND, "No such conversation.") from error
    except ValidationError as error:
        raise Refused(protocol.ErrorCode.INVALID, " ".join(error.messages)) from error
    return protocol.message_payload(message)


def history(
    identity: ContactIdentity,
    *,
    conversation_id: int,
    after_seq: int | None,
    before_seq: int | None,
    limit: int,
) -> HistoryPage:
    conversation = own_conversation(identity, conversation_id)
    page = selectors.message_page(
        conversation_id=conversation.pk,
        include_private=False,
        after_seq=(after_seq or 0) if before_seq is None else None,  # before_seq pages back instead
        before_seq=before_seq,
        limit=limit,
        related=protocol.SENDER_RELATED,
    )
    return HistoryPage(conversation=conversation, messages=page.messages, has_more=page.has_more)


def mark_read(identity: ContactIdentity, *, conversation_id: int, seq: int) -> None:
    services.conversation_mark_read_by_contact(
        conversation=own_conversation(identity, conversation_id), up_to_seq=seq
    )


def session_end(identity: ContactIdentity, *, conversation_id: int) -> bool:
    """The visitor ended their live chat ("End chat"); ending an ended chat changes nothing."""
    return services.live_session_end(
        conversation=own_conversation(identity, conversation_id),
        reason=LiveSession.CloseReason.CUSTOMER_ENDED,
    )


def customer_present(identity: ContactIdentity, *, present: bool) -> None:
    """A client of the visitor connected or opened the widget (present), or one went away."""
    services.session_customer_present(
        contact_id=identity.contact_id, inbox_id=identity.inbox_id, present=present
    )


def transcript_request(identity: ContactIdentity, *, conversation_id: int, email: str) -> str:
    """Email the conversation's transcript; returns the address it goes to.

    It goes to the contact's own address: an address given here becomes the contact's (a verified
    user's record keeps its own, see contact_update_details), so a page cannot have transcripts
    mailed to anyone at will. One transcript per conversation state.
    """
    conversation = own_conversation(identity, conversation_id)
    try:
        contact = services.contact_update_details(contact=identity.contact, email=email)
    except ValidationError as error:
        raise Refused(protocol.ErrorCode.INVALID, " ".join(error.messages)) from error
    if not contact.email:
        raise Refused(protocol.ErrorCode.INVALID, "Give an email address for the transcript.")
    if cache.add(f"transcript:{conversation.pk}:{conversation.last_seq}", 1, timeout=TRANSCRIPT_ONCE_SECONDS):
        jobs.run(jobs.SEND_TRANSCRIPT, conversation.pk, contact.email)
    return contact.email
