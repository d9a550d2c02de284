"""Agents correct a contact's details and merge two contacts that are one person."""

import pytest
from django.core.exceptions import ValidationError

from conversations import events, services
from conversations.models import Contact, ContactIdentity, Conversation, Message
from tests.factories.conversations import ContactFactory, ContactIdentityFactory, InboxFactory


def test_an_agent_edit_replaces_details_and_a_bad_value_changes_nothing(db):
    contact = ContactFactory(name="Kim", email="kim@old.example", phone="")
    services.contact_edit(contact=contact, name="Kim Lee", email="kim@new.example", phone="+33 6 12 34 56 78")
    contact.refresh_from_db()
    assert (contact.name, contact.email, contact.phone) == ("Kim Lee", "kim@new.example", "+33612345678")
    with pytest.raises(ValidationError):
        services.contact_edit(contact=contact, name="Kim", email="not-an-email", phone="")
    contact.refresh_from_db()
    assert (contact.name, contact.email) == ("Kim Lee", "kim@new.example")


def test_merging_moves_every_identity_conversation_and_message_and_loses_nothing(
    db, listen, django_capture_on_commit_callbacks
):
    sms, widget = InboxFactory(name="SMS", channel_type="sms"), InboxFactory(name="Web")
    keep = ContactFactory(name="Kim", email="", phone="+14155550100", custom_attributes={"plan": "pro"})
    merge = ContactFactory(
        name="", email="kim@example.com", custom_attributes={"plan": "free", "city": "Lyon"}
    )
    ContactIdentityFactory(contact=keep, inbox=sms, source_id="+14155550100")
    moved = ContactIdentityFactory(contact=merge, inbox=widget, source_id="visitor-1")
    services.message_receive(inbox=sms, contact=keep, body="SMS hello")
    services.message_receive(inbox=widget, contact=merge, body="Web hello")
    services.message_receive(inbox=widget, contact=merge, body="Web again")
    merged_sockets = listen(events.contact_group(merge.pk, widget.pk))

    with django_capture_on_commit_callbacks(execute=True):
        services.contact_merge(keep=keep, merge=merge)

    assert not Contact.objects.filter(pk=merge.pk).exists()
    keep.refresh_from_db()
    assert (keep.name, keep.email, keep.phone) == ("Kim", "kim@example.com", "+14155550100")
    assert keep.custom_attributes == {"plan": "pro", "city": "Lyon"}  # keep's values win
    assert set(ContactIdentity.objects.filter(contact=keep).values_list("source_id", flat=True)) == {
        "+14155550100",
        "visitor-1",
    }
    assert Conversation.objects.filter(contact=keep).count() == 2
    assert Message.objects.filter(conversation__contact=keep, sender_kind="contact").count() == 3
    [changed] = merged_sockets.receive_all()
    assert changed == {**changed, "type": "contact.identity_changed", "identity_id": moved.pk}


def test_two_verified_users_are_never_merged(db):
    first, second = ContactFactory(external_id="user-1"), ContactFactory(external_id="user-2")
    with pytest.raises(ValidationError):
        services.contact_merge(keep=first, merge=second)
    assert Contact.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


def test_a_verified_users_id_moves_to_the_kept_contact(db):
    anonymous, verified = ContactFactory(external_id=""), ContactFactory(external_id="user-7")
    services.contact_merge(keep=anonymous, merge=verified)
    anonymous.refresh_from_db()
    assert anonymous.external_id == "user-7"


def test_contacts_with_the_same_email_or_phone_are_suggested(db):
    contact = ContactFactory(email="Kim@Example.com", phone="+14155550100")
    same_email, same_phone = (
        ContactFactory(email="kim@example.com"),
        ContactFactory(email="", phone="+14155550100"),
    )
    ContactFactory(email="someone@example.com")
    assert set(services.contact_merge_suggestions(contact)) == {same_email, same_phone}
