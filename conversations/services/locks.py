"""The one lock order. Every service that locks more than one row takes them in this order, and
never a row of an earlier kind after one of a later kind:

1. inbox (routers of one inbox take turns on it: agents/routing.py)
2. contact (ascending ids when there are several: a merge)
3. conversation
4. the rest, each kind in ascending ids: outbound delivery rows, agent profiles

An UPDATE takes a row's lock too: a service that will change a contact after locking one of its
conversations locks the contact first. Two writers taking the same two rows in opposite orders
deadlock, and Postgres ends one of them: a lost message, a failed merge
(tests/conversations/test_lock_order.py runs the pair that once did).
"""

from django.db import transaction

from ..models import Contact, Conversation


def lock_contact(contact_id: int) -> None:
    """Take the contact's row lock for the rest of the transaction, as strong as the UPDATE that
    will follow (FOR NO KEY UPDATE: inserts that only point at the contact are not held up)."""
    assert transaction.get_connection().in_atomic_block, "lock_contact needs a transaction"
    Contact.objects.select_for_update(no_key=True).filter(pk=contact_id).values_list("pk").get()


def lock_conversation(conversation_id: int) -> Conversation:
    """Take the conversation's row lock for the rest of the transaction.

    The lock is what makes `seq` gap-free and strictly increasing: the next writer waits here until
    this transaction commits or rolls back, then reads the committed `last_seq`.
    """
    assert transaction.get_connection().in_atomic_block, "lock_conversation needs a transaction"
    return Conversation.objects.select_for_update().get(pk=conversation_id)
