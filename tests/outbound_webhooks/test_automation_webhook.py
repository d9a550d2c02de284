"""An automation rule's "send a webhook" step reaches the business through the one webhook
mechanism there is: subscriptions to `automation.webhook` get a delivery, signed and retried like
any other, naming the rule and the topic the administrator gave it; a macro cannot send one."""

import json

import pytest
from django.core.exceptions import ValidationError

from automation.forms import MacroActionForm
from automation.models import RuleRun
from automation.services import macro_apply
from conversations import services
from outbound_webhooks import services as webhook_services
from outbound_webhooks.models import EventType, WebhookDelivery
from tests.automation.conftest import make_macro, make_rule
from tests.factories.conversations import ContactFactory

from .receiver import Answer


@pytest.fixture(autouse=True)
def fresh_rule_index(db):
    from automation.index import rule_index

    rule_index.announce_change()
    yield
    rule_index.announce_change()


def test_a_rule_sends_a_signed_webhook_with_its_topic(
    subscribe, inbox, receiver, django_capture_on_commit_callbacks
):
    subscription = subscribe([EventType.AUTOMATION_WEBHOOK])
    rule = make_rule(
        "Refunds to the CRM",
        "message_received",
        conditions=[("message_text", "contains", "refund")],
        actions=[("send_webhook", "refund-requested")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = services.message_receive(inbox=inbox, contact=ContactFactory(), body="A refund, please")

    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.payload["type"] == "automation.webhook"
    assert delivery.payload["data"]["rule"] == {"id": rule.pk, "name": "Refunds to the CRM"}
    assert delivery.payload["data"]["topic"] == "refund-requested"
    assert delivery.payload["data"]["conversation"]["id"] == message.conversation_id
    assert RuleRun.objects.get(rule=rule).actions == ["Send a webhook (its topic): refund-requested"]

    receiver.answer(Answer(200))
    webhook_services.webhook_deliver(delivery_id=delivery.pk)
    (request,) = receiver.requests
    assert json.loads(request.body) == delivery.payload


def test_a_message_no_rule_matches_sends_no_webhook(subscribe, inbox, django_capture_on_commit_callbacks):
    subscribe([EventType.AUTOMATION_WEBHOOK])
    make_rule(
        "Refunds",
        "message_received",
        conditions=[("message_text", "contains", "refund")],
        actions=[("send_webhook", "refund-requested")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.message_receive(inbox=inbox, contact=ContactFactory(), body="Where is my parcel?")
    assert not WebhookDelivery.objects.exists()


def test_a_macro_cannot_send_a_webhook(conversation, agent):
    form = MacroActionForm(data={"kind": "send_webhook", "argument": "anything", "position": 0})
    assert not form.is_valid()
    assert "Only an automation rule sends webhooks" in str(form.errors)

    macro = make_macro(
        "Tell the CRM", [("add_note", "Told them"), ("send_webhook", "crm")]
    )  # written around the form
    with pytest.raises(ValidationError, match="Only an automation rule sends webhooks"):
        macro_apply(macro=macro, conversation=conversation, agent=agent)
    assert not conversation.messages.filter(body="Told them").exists()  # all or none
