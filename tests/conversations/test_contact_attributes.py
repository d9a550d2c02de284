"""What a page says about its visitor (`Parley.setAttributes`), and the phone a visitor leaves:
contact_set_attributes and contact_update_details."""

import pytest
from django.core.exceptions import ValidationError

from conversations import services
from conversations.models import Contact
from tests.factories.conversations import ContactFactory

pytestmark = pytest.mark.django_db


def stored(contact: Contact) -> Contact:
    return Contact.objects.get(pk=contact.pk)


def test_details_go_to_the_contact_and_other_keys_to_its_custom_attributes():
    contact = ContactFactory(name="", email="", phone="", custom_attributes={"plan": "free"})
    services.contact_set_attributes(
        contact=contact,
        attributes={"name": "Léa", "email": "lea@example.com", "phone": "+33 6 12 34 56 78", "orders": 3},
    )
    services.contact_set_attributes(contact=contact, attributes={"vip": True, "ltv": 129.5, "plan": "pro"})
    contact = stored(contact)
    assert (contact.name, contact.email, contact.phone) == ("Léa", "lea@example.com", "+33612345678")
    assert contact.custom_attributes == {"plan": "pro", "orders": 3, "vip": True, "ltv": 129.5}


def test_null_removes_a_custom_attribute_and_leaves_the_details_alone():
    contact = ContactFactory(name="Léa", custom_attributes={"plan": "pro", "coupon": "X1"})
    services.contact_set_attributes(contact=contact, attributes={"coupon": None, "name": None, "gone": None})
    contact = stored(contact)
    assert contact.custom_attributes == {"plan": "pro"}
    assert contact.name == "Léa"


def test_a_verified_users_details_are_only_filled_where_blank_but_custom_attributes_are_taken():
    contact = ContactFactory(external_id="user-42", name="Léa Martin", email="lea@shop.example", phone="")
    services.contact_set_attributes(
        contact=contact,
        attributes={"name": "Someone", "email": "x@example.com", "phone": "0044 20 7946 0958", "plan": "pro"},
    )
    contact = stored(contact)
    assert (contact.name, contact.email, contact.phone) == ("Léa Martin", "lea@shop.example", "+442079460958")
    assert contact.custom_attributes == {"plan": "pro"}


@pytest.mark.parametrize(
    ("attributes", "says"),
    [
        ({"Plan": "pro"}, "'Plan' is not one"),
        ({"plan-type": "pro"}, "'plan-type' is not one"),
        ({"_plan": "pro"}, "'_plan' is not one"),
        ({"p" * 51: "pro"}, "is not one"),
        ({"plan": "x" * 256}, "'plan' must be text of at most 255 characters"),
        ({"plan": ["pro"]}, "'plan' must be text"),
        ({"plan": {"tier": 1}}, "'plan' must be text"),
        ({"plan": float("nan")}, "'plan' must be text"),
        ({"email": "not an email"}, "email address does not look right"),
        ({"email": 42}, "'email' must be text"),
        ({"phone": "06 12 34 56 78"}, "with its country code"),
        ({"phone": "+33 6 12 ab"}, "with its country code"),
        ({"phone": "+0123456789"}, "with its country code"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_written(attributes, says):
    contact = ContactFactory(name="Léa", email="", custom_attributes={"plan": "free"})
    with pytest.raises(ValidationError) as refused:
        services.contact_set_attributes(
            contact=contact, attributes={"orders": 3, "name": "Other", **attributes}
        )
    assert says in " ".join(refused.value.messages)
    contact = stored(contact)
    assert (contact.name, contact.custom_attributes) == ("Léa", {"plan": "free"})


def test_a_contact_keeps_at_most_fifty_custom_attributes_and_a_refusal_keeps_what_was_stored():
    first = {f"key_{n}": n for n in range(50)}
    contact = ContactFactory(custom_attributes={})
    services.contact_set_attributes(contact=contact, attributes=first)
    with pytest.raises(ValidationError, match="at most 50 custom attributes: this would make 51"):
        services.contact_set_attributes(contact=contact, attributes={"one_more": "x"})
    # Replacing and removing within the limit is fine.
    services.contact_set_attributes(contact=contact, attributes={"key_0": None, "one_more": "x"})
    kept = stored(contact).custom_attributes
    assert len(kept) == 50 and kept["one_more"] == "x" and "key_0" not in kept


def test_the_text_limits_are_inclusive():
    contact = ContactFactory(custom_attributes={})
    name = "a" + "b" * 49
    services.contact_set_attributes(contact=contact, attributes={name: "x" * 255, "zero": 0, "no": False})
    assert stored(contact).custom_attributes == {name: "x" * 255, "zero": 0, "no": False}


def test_a_visitor_may_leave_a_phone_instead_of_an_email():
    contact = ContactFactory(email="", phone="")
    services.contact_update_details(contact=contact, phone=" +1 (415) 555-0100 ")
    assert stored(contact).phone == "+14155550100"
    with pytest.raises(ValidationError, match="country code"):
        services.contact_update_details(contact=contact, phone="555-0100")
    assert stored(contact).phone == "+14155550100"
