"""WhatsApp's 24-hour window, end to end against the local Graph fake: free text past it is
refused before any API call; approved templates are synced, picked in the desk and sent."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conversations import services
from conversations.models import Message, MessageTemplate
from conversations.tasks import deliver_message
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory

WA_ID = "16505551234"


@pytest.fixture
def late_conversation(whatsapp_inbox, fake_provider, clock):
    """The customer wrote 24 hours and one second ago."""
    contact = services.contact_identify(inbox=whatsapp_inbox, source_id=WA_ID, phone="+" + WA_ID)
    conversation = services.message_receive(inbox=whatsapp_inbox, contact=contact, body="Hi").conversation
    clock.advance(hours=24, seconds=1)
    return conversation


@pytest.fixture
def agent_client(client, whatsapp_inbox):
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=whatsapp_inbox, agent=agent)
    client.force_login(agent)
    client.agent = agent
    return client


def test_a_reply_at_24_hours_and_one_second_is_refused_before_any_api_call(late_conversation, fake_provider):
    agent = AgentProfileFactory().user
    with pytest.raises(ValidationError, match="approved template"):
        services.message_post_reply(conversation=late_conversation, agent=agent, body="Sorry for the wait")

    assert not Message.objects.filter(body="Sorry for the wait").exists()
    assert fake_provider.requests("whatsapp") == []


def test_templates_are_synced_from_the_business_account_and_replaced(whatsapp_inbox, fake_provider):
    assert services.templates_sync(inbox=whatsapp_inbox) == 3
    followup = MessageTemplate.objects.get(inbox=whatsapp_inbox, name="conversation_followup")
    assert (followup.language, followup.is_approved, followup.parameter_count) == ("en_US", True, 1)

    fake_provider.behave(templates=[{"name": "hello_world", "language": "en_US", "body": "Hello World"}])
    assert services.templates_sync(inbox=whatsapp_inbox) == 1
    assert list(MessageTemplate.objects.values_list("name", flat=True)) == ["hello_world"]


def test_the_desk_offers_the_picker_once_the_window_has_closed(agent_client, late_conversation):
    services.templates_sync(inbox=late_conversation.inbox)
    pane = agent_client.get(reverse("desk:conversation", args=[late_conversation.pk])).content.decode()
    assert "only lets you send an approved template" in pane
    assert reverse("desk:template-picker", args=[late_conversation.pk]) in pane

    order_update = MessageTemplate.objects.get(name="order_update")
    picker = agent_client.get(
        reverse("desk:template-picker", args=[late_conversation.pk]), {"template": order_update.pk}
    ).content.decode()
    assert "your order {{2}} has shipped" in picker
    assert picker.count('name="value"') == 2


def test_a_template_picked_in_the_desk_is_sent_as_a_template(agent_client, late_conversation, fake_provider):
    services.templates_sync(inbox=late_conversation.inbox)
    order_update = MessageTemplate.objects.get(name="order_update")

    answer = agent_client.post(
        reverse("desk:template-send", args=[late_conversation.pk]),
        {"template": order_update.pk, "value": ["Sheena", "#1042"]},
    )
    assert answer.status_code == 204
    message = Message.objects.get(conversation=late_conversation, sender_kind="agent")
    assert message.body == "Hello Sheena, your order #1042 has shipped."
    assert message.template == {
        "name": "order_update",
        "language": "en_US",
        "parameters": ["Sheena", "#1042"],
    }

    deliver_message(message.pk)
    [sent] = fake_provider.sends("whatsapp")
    assert sent["raw"]["json"]["type"] == "template"
    assert sent["raw"]["json"]["template"]["name"] == "order_update"
    message.refresh_from_db()
    assert (message.delivery_status, message.provider_message_id) == (Message.DeliveryStatus.SENT, sent["id"])


@pytest.mark.parametrize("values", [["Sheena"], ["Sheena", ""], ["Sheena", "#1", "extra"]])
def test_a_template_with_the_wrong_values_is_refused_and_nothing_stored(
    agent_client, late_conversation, values
):
    services.templates_sync(inbox=late_conversation.inbox)
    order_update = MessageTemplate.objects.get(name="order_update")
    answer = agent_client.post(
        reverse("desk:template-send", args=[late_conversation.pk]),
        {"template": order_update.pk, "value": values},
    )
    assert answer.status_code == 422
    assert "needs 2 value(s)" in answer.content.decode()
    assert not Message.objects.filter(conversation=late_conversation, sender_kind="agent").exists()
