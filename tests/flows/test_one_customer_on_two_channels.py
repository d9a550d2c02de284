"""One customer, two channels: a widget visitor who left their number later texts the SMS line.
Parley suggests the match, the merge folds both threads into one contact, and the SMS reply
still goes to the number the customer texted from."""

from urllib.parse import urlencode

import pytest

from conversations import services
from conversations.models import ChannelType, Contact, Message
from conversations.tasks import deliver_message
from simulator.fake_provider import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FakeProvider
from simulator.fake_provider.webhooks import twilio_inbound_sms, twilio_signature
from tests.channels.worker import applied
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import InboxFactory

PUBLIC_URL = "https://desk.example.com"


@pytest.fixture
def twilio(settings):
    settings.PUBLIC_URL = PUBLIC_URL
    with FakeProvider() as fake:
        settings.TWILIO_API_URL = fake.url
        yield fake


def test_a_visitor_who_texts_later_is_suggested_merged_and_answered_by_sms(client, db, twilio):
    widget = InboxFactory(name="Website", channel_type=ChannelType.WEB_WIDGET)
    sms = InboxFactory(
        name="SMS",
        channel_type=ChannelType.SMS,
        public_key="sms-flow",
        config={
            "account_sid": TWILIO_ACCOUNT_SID,
            "auth_token": TWILIO_AUTH_TOKEN,
            "phone_number": "+14155550100",
        },
    )
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=sms, agent=agent)
    visitor = services.contact_identify(inbox=widget, source_id="visitor-42", name="Kim")
    services.contact_update_details(contact=visitor, phone="+1 (415) 555-0199")
    services.message_receive(inbox=widget, contact=visitor, body="Do you ship to Oakland?")

    params = twilio_inbound_sms(to="+14155550100", from_="+14155550199", body="It's Kim, any news?")
    url = f"{PUBLIC_URL}/hooks/twilio/sms-flow/"
    answer = applied(
        client.post(
            "/hooks/twilio/sms-flow/",
            data=urlencode(params),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=twilio_signature(TWILIO_AUTH_TOKEN, url, params),
        )
    )
    assert answer.status_code == 200
    texter = Contact.objects.get(identities__inbox=sms)
    assert texter != visitor

    assert services.contact_merge_suggestions(texter) == [Contact.objects.get(pk=visitor.pk)]
    kim = services.contact_merge(keep=visitor, merge=texter)

    assert set(kim.identities.values_list("inbox__name", "source_id")) == {
        ("Website", "visitor-42"),
        ("SMS", "+14155550199"),
    }
    assert sorted(kim.conversations.values_list("inbox__name", flat=True)) == ["SMS", "Website"]
    sms_conversation = kim.conversations.get(inbox=sms)
    reply = services.message_post_reply(conversation=sms_conversation, agent=agent, body="Shipped today!")
    deliver_message(reply.pk)

    [sent] = twilio.sends("twilio")
    assert (sent["to"], sent["body"]) == ("+14155550199", "Shipped today!")
    assert Message.objects.filter(conversation__contact=kim, sender_kind="contact").count() == 2
