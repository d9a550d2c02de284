"""The webhook receipts' drain applies them on a thread of the lowest CPU priority
(conversations.pacing): the servers answering webhooks get the cores first, the receipts wait."""

import pytest

from channels_in import tasks
from channels_in.adapters.base import InboundMessage
from channels_in.models import WebhookReceipt
from channels_in.receipts import receipts_store
from conversations.models import Message

pytestmark = pytest.mark.django_db(transaction=True)  # the drain's thread sees only what committed


def test_the_receipts_drain_applies_them_from_a_low_priority_thread(twilio_inbox, nice_of_durable_hand_overs):
    receipts_store(
        inbox=twilio_inbox,
        provider="twilio",
        events=[InboundMessage(provider_message_id="SM000001", source_id="+14155550123", body="Hi")],
        raw_body=b"{}",
    )
    assert tasks.apply_new_receipts() == 1
    assert Message.objects.get().body == "Hi"
    assert WebhookReceipt.objects.get().state == WebhookReceipt.State.APPLIED
    assert set(nice_of_durable_hand_overs) == {19}  # every event of the apply, heard on the drain's thread
