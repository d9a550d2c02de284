"""POST /widget/api/v1/attributes (`Parley.setAttributes`) and the phone a visitor may leave
through the session call ("notify me" by email or text)."""

import json

import pytest

from conversations.models import Contact
from tests.factories.conversations import InboxFactory

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"


@pytest.fixture
def inbox():
    return InboxFactory(allowed_origins=SHOP)


def session(client, inbox, **fields) -> dict:
    answer = client.post(
        "/widget/api/v1/session",
        {"public_key": inbox.public_key, **fields},
        content_type="application/json",
        HTTP_ORIGIN=SHOP,
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def set_attributes(client, inbox, resume_token, attributes, *, origin=SHOP):
    return client.post(
        "/widget/api/v1/attributes",
        json.dumps({"public_key": inbox.public_key, "resume_token": resume_token, "attributes": attributes}),
        content_type="application/json",
        HTTP_ORIGIN=origin,
    )


def test_a_page_sets_details_and_custom_attributes_on_its_visitor(client, inbox):
    visitor = session(client, inbox)
    first = set_attributes(client, inbox, visitor["resume_token"], {"name": "Léa", "plan": "pro", "seats": 3})
    second = set_attributes(
        client, inbox, visitor["resume_token"], {"phone": "+33 6 12 34 56 78", "seats": None, "beta": True}
    )
    assert first.status_code == 200 and first["Access-Control-Allow-Origin"] == SHOP
    assert second.json() == {"contact": {"name": "Léa", "email": "", "phone": "+33612345678"}}
    contact = Contact.objects.get(pk=visitor["contact_id"])
    assert contact.custom_attributes == {"plan": "pro", "beta": True}


def test_bad_attributes_are_refused_with_the_reason_and_the_visitor_keeps_what_was_stored(client, inbox):
    visitor = session(client, inbox)
    set_attributes(client, inbox, visitor["resume_token"], {"plan": "pro"})
    refused = set_attributes(client, inbox, visitor["resume_token"], {"Plan Type": "x", "coupon": "A1"})
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid"
    assert "'Plan Type' is not one" in refused.json()["detail"]
    assert Contact.objects.get(pk=visitor["contact_id"]).custom_attributes == {"plan": "pro"}
    # The session (and so the chat) is not affected.
    assert session(client, inbox, resume_token=visitor["resume_token"])["contact_id"] == visitor["contact_id"]


def test_only_the_visitor_with_a_valid_token_from_an_allowed_site_may_set_attributes(client, inbox):
    visitor = session(client, inbox)
    answers = {
        "no token": set_attributes(client, inbox, "", {"plan": "pro"}),
        "forged token": set_attributes(client, inbox, "forged", {"plan": "pro"}),
        "other site": set_attributes(
            client, inbox, visitor["resume_token"], {"plan": "pro"}, origin="https://evil.example"
        ),
        "not an object": set_attributes(client, inbox, visitor["resume_token"], ["plan", "pro"]),
    }
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "no token": 401,
        "forged token": 401,
        "other site": 403,
        "not an object": 400,
    }
    assert Contact.objects.get(pk=visitor["contact_id"]).custom_attributes == {}
    preflight = client.options("/widget/api/v1/attributes", HTTP_ORIGIN=SHOP)
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == SHOP


def test_notify_me_takes_a_phone_number_and_refuses_one_without_its_country_code(client, inbox):
    visitor = session(client, inbox)
    refused = client.post(
        "/widget/api/v1/session",
        {"public_key": inbox.public_key, "resume_token": visitor["resume_token"], "phone": "06 12 34 56 78"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "country code" in refused.json()["detail"]
    assert Contact.objects.get(pk=visitor["contact_id"]).phone == ""
    session(client, inbox, resume_token=visitor["resume_token"], phone="+44 20 7946 0958")
    assert Contact.objects.get(pk=visitor["contact_id"]).phone == "+442079460958"


def test_the_browser_and_the_page_give_the_visitor_a_language_that_routing_can_match(client, inbox):
    visitor = session(client, inbox, language="fr-CA")
    assert Contact.objects.get(pk=visitor["contact_id"]).language == "fr"
    # A browser setting that is no language tag is ignored: it never costs the visitor their chat.
    other = session(client, inbox, language="<script>")
    assert Contact.objects.get(pk=other["contact_id"]).language == ""

    assert set_attributes(client, inbox, visitor["resume_token"], {"language": "pt-BR"}).status_code == 200
    assert Contact.objects.get(pk=visitor["contact_id"]).language == "pt"
    session(client, inbox, resume_token=visitor["resume_token"], language="en-US")  # the page's word stands
    assert Contact.objects.get(pk=visitor["contact_id"]).language == "pt"
    refused = set_attributes(
        client, inbox, visitor["resume_token"], {"language": "Portuguese!", "plan": "pro"}
    )
    assert refused.status_code == 400 and "is not a language tag" in refused.json()["detail"]
    contact = Contact.objects.get(pk=visitor["contact_id"])
    assert (contact.language, contact.custom_attributes) == ("pt", {})
