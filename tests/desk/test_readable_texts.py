"""Texts of the desk an agent reads whole (issue 21, point 10): a status is named in full in the
list's filter and the header (not cut to "Pending …", not "Pending (Waiting On The Customer)"),
and the customer panel names each of a contact's channels with the address it is known by, once."""

import re

import pytest

from conversations import services
from conversations.models import Conversation
from desk.identities import readable_phone
from tests.factories.agents import InboxMembershipFactory
from tests.factories.conversations import (
    ContactFactory,
    ContactIdentityFactory,
    ConversationFactory,
    InboxFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_client(client, agent):
    client.force_login(agent)
    return client


def status_options(html: str) -> list[str]:
    select = re.search(r'<select name="status"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [text.strip() for text in re.findall(r"<option[^>]*>([^<]*)</option>", select)]


def test_the_status_filter_names_each_status_whole(desk_client):
    options = status_options(desk_client.get("/desk/").content.decode())
    assert options == ["Open", "Pending", "Snoozed", "Resolved", "Any status"]
    assert not any("…" in option for option in options)


def test_the_header_says_pending_and_what_it_waits_for_in_plain_words(desk_client, inbox, agent):
    conversation = services.message_receive(inbox=inbox, contact=ContactFactory(), body="Hi").conversation
    services.conversation_mark_pending(conversation=conversation, actor=agent)
    html = desk_client.get(f"/desk/c/{conversation.pk}/header/").content.decode()
    status = re.search(r'<span class="status pending" id="conv-status"[^>]*>([^<]*)</span>', html)
    assert status, html[:1500]
    assert status.group(1) == "Pending: waiting on the customer"


def test_other_conversations_name_their_status_whole(desk_client, inbox):
    contact = ContactFactory()
    earlier = ConversationFactory(inbox=inbox, contact=contact, status=Conversation.Status.PENDING)
    later = ConversationFactory(inbox=inbox, contact=contact)
    html = desk_client.get(f"/desk/c/{later.pk}/").content.decode()
    listed = re.search(rf"#{earlier.pk} · {inbox.name} · ([^<]*)</a>", html)  # the customer panel's
    assert listed and listed.group(1) == "Pending"
    merge_target = re.search(rf"#{earlier.pk} · ([^·<]*) ·", html)  # the header's merge menu
    assert merge_target and merge_target.group(1) == "Pending"


def test_a_merged_contact_shows_each_sms_number_once(desk_client, agent):
    sms = InboxFactory(name="SMS", channel_type="sms")
    sms_again = InboxFactory(name="SMS", channel_type="sms")  # a second number of the business's
    InboxMembershipFactory(inbox=sms, agent=agent)
    contact = ContactFactory(name="Kim Park")
    ContactIdentityFactory(contact=contact, inbox=sms, source_id="+14155550100")
    ContactIdentityFactory(contact=contact, inbox=sms, source_id="+14155550199")
    ContactIdentityFactory(contact=contact, inbox=sms_again, source_id="+14155550100")
    conversation = services.message_receive(inbox=sms, contact=contact, body="Hi").conversation
    html = desk_client.get(f"/desk/c/{conversation.pk}/").content.decode()
    card = re.search(r"<h4>Channels</h4>(.*?)</div>", html, re.S).group(1)
    shown = [re.sub(r"<[^>]+>|\s+", " ", item).split() for item in re.findall(r"<li>(.*?)</li>", card, re.S)]
    assert [" ".join(words) for words in shown] == ["SMS +1 415 555 0100", "SMS +1 415 555 0199"]


def test_channels_without_a_readable_address_show_the_inbox_alone(desk_client, inbox, agent):
    contact = ContactFactory()
    ContactIdentityFactory(contact=contact, inbox=inbox, source_id="0b6f3c2e-visitor-id")
    whatsapp = InboxFactory(name="WhatsApp", channel_type="whatsapp")
    ContactIdentityFactory(contact=contact, inbox=whatsapp, source_id="447946095800")
    conversation = services.message_receive(inbox=inbox, contact=contact, body="Hi").conversation
    html = desk_client.get(f"/desk/c/{conversation.pk}/").content.decode()
    card = re.search(r"<h4>Channels</h4>(.*?)</div>", html, re.S).group(1)
    assert "0b6f3c2e" not in card
    assert inbox.name in card
    assert "+44 794 609 5800" in card


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("+14155550100", "+1 415 555 0100"),
        ("14155550100", "+1 415 555 0100"),  # a WhatsApp id: the number without its +
        ("+442079460958", "+44 207 946 0958"),
        ("+33612345678", "+33 612 345 678"),
        ("+35312345678", "+353 1234 5678"),
        ("not a number", "not a number"),
    ],
)
def test_a_phone_number_reads_in_groups_after_its_country_code(number, shown):
    assert readable_phone(number) == shown
