"""What the widget knows of its visitor (docs/protocol.md, "Visitor context"): the session call's
`context` (page, title, browser language, time zone) and the city and country the CDN's headers
give are kept on the contact; a bad value is dropped alone and never costs the visitor their
session; a visit that says nothing leaves what the last one said."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations import services
from conversations.contact_display import friendly_name
from conversations.models import Contact
from conversations.visitor_context import cleaned_visitor_context
from tests.factories.conversations import InboxFactory

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
GOOD = {
    "page_url": "https://shop.example.com/boots?size=42#reviews",
    "page_title": "Trail boots · Acme",
    "language": "fr-FR",
    "time_zone": "Europe/Paris",
}


@pytest.fixture
def inbox():
    return InboxFactory(allowed_origins=SHOP)


def open_session(client, inbox, *, headers: dict | None = None, raw: str | None = None, **fields):
    body = raw if raw is not None else json.dumps({"public_key": inbox.public_key, **fields})
    answer = client.post(
        "/widget/api/v1/session",
        body,
        content_type="application/json",
        HTTP_ORIGIN=SHOP,
        headers=headers or {},
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def stored(visitor: dict) -> dict:
    return Contact.objects.get(pk=visitor["contact_id"]).visitor_context


def test_the_session_call_keeps_the_page_language_time_zone_and_the_cdns_city(client, inbox):
    visitor = open_session(client, inbox, context=GOOD, headers={"CF-IPCity": "Paris", "CF-IPCountry": "fr"})
    assert stored(visitor) == {**GOOD, "city": "Paris", "country": "FR"}


def test_an_anonymous_visitor_is_called_by_a_friendly_name_until_they_give_theirs(client, inbox):
    visitor = open_session(client, inbox, context=GOOD)
    contact = Contact.objects.get(pk=visitor["contact_id"])
    assert str(contact) == friendly_name(contact.pk) != f"Contact #{contact.pk}"
    open_session(client, inbox, resume_token=visitor["resume_token"], name="Léa Martin")
    assert str(Contact.objects.get(pk=contact.pk)) == "Léa Martin"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("page_url", "javascript:alert(1)"),
        ("page_url", "ftp://shop.example.com/file"),
        ("page_url", "file:///etc/passwd"),
        ("page_url", "https://user:secret@shop.example.com/"),
        ("page_url", "/relative/path"),
        ("page_url", "https://shop.example.com/" + "a" * 2000),
        ("page_url", 42),
        ("page_title", "x" * 201),
        ("page_title", "bell\x07"),
        ("page_title", ["a", "list"]),
        ("language", "not a language"),
        ("language", "fr-" + "x" * 40),
        ("time_zone", "Mars/Olympus_Mons"),
        ("time_zone", "localtime"),
        ("time_zone", "../../etc/passwd"),
        ("time_zone", {"name": "Europe/Paris"}),
    ],
)
def test_a_bad_value_is_dropped_and_the_rest_kept(client, inbox, field, value):
    visitor = open_session(client, inbox, context={**GOOD, field: value})
    assert visitor["connect_token"]
    assert stored(visitor) == {key: good for key, good in GOOD.items() if key != field}


@pytest.mark.parametrize("context", ["a string", 12, ["page_url"], None, {"unknown": "key"}])
def test_a_context_that_is_not_an_object_of_known_fields_is_ignored(client, inbox, context):
    visitor = open_session(client, inbox, context=context)
    assert stored(visitor) == {}


def test_text_postgres_cannot_store_in_the_context_is_replaced_not_refused(client, inbox):
    body = json.dumps({"public_key": inbox.public_key, "context": {**GOOD, "page_title": "Caf\ud83d"}})
    visitor = open_session(client, inbox, raw=body)
    assert stored(visitor)["page_title"] == "Caf\ufffd"
    nul_url = json.dumps({"public_key": inbox.public_key, "context": {"page_url": "https://a.example/\x00"}})
    assert stored(open_session(client, inbox, raw=nul_url)) == {}


def test_unstorable_text_elsewhere_in_the_session_call_is_still_refused(client, inbox):
    body = json.dumps({"public_key": inbox.public_key, "name": "Ana\x00", "context": GOOD})
    answer = client.post("/widget/api/v1/session", body, content_type="application/json", HTTP_ORIGIN=SHOP)
    assert answer.status_code == 400 and answer.json()["error"] == "bad_request"


@pytest.mark.parametrize(
    ("headers", "place"),
    [
        (
            {"X-Vercel-IP-City": "S%C3%A3o%20Paulo", "X-Vercel-IP-Country": "BR"},
            {"city": "São Paulo", "country": "BR"},
        ),
        (
            {"CF-IPCity": "Zürich".encode().decode("latin-1"), "CF-IPCountry": "CH"},
            {"city": "Zürich", "country": "CH"},
        ),
        ({"CF-IPCountry": "XX"}, {}),
        ({"CF-IPCountry": "T1"}, {}),
        ({"CF-IPCity": "1234", "CF-IPCountry": "FRA"}, {}),
        ({"CF-IPCity": "x" * 81}, {}),
    ],
)
def test_the_place_comes_from_the_cdns_headers_checked(client, inbox, headers, place):
    visitor = open_session(client, inbox, headers=headers)
    assert stored(visitor) == place


def test_the_place_headers_are_configurable(client, inbox, settings):
    settings.PARLEY_VISITOR_CITY_HEADERS = ["X-Geo-City"]
    settings.PARLEY_VISITOR_COUNTRY_HEADERS = []
    visitor = open_session(
        client, inbox, headers={"X-Geo-City": "Lyon", "CF-IPCity": "Paris", "CF-IPCountry": "FR"}
    )
    assert stored(visitor) == {"city": "Lyon"}


def test_a_new_page_replaces_the_last_visit_and_a_call_that_says_nothing_keeps_it(client, inbox):
    visitor = open_session(client, inbox, context=GOOD, headers={"CF-IPCity": "Paris"})
    page_two = {"page_url": "https://shop.example.com/checkout", "page_title": "Checkout", "time_zone": "UTC"}
    open_session(client, inbox, resume_token=visitor["resume_token"], context=page_two)
    assert stored(visitor) == page_two
    open_session(client, inbox, resume_token=visitor["resume_token"])  # an app that sends none
    assert stored(visitor) == page_two


def test_reconnecting_on_the_same_page_writes_nothing(client, inbox):
    visitor = open_session(client, inbox, context=GOOD)
    with CaptureQueriesContext(connection) as captured:
        open_session(client, inbox, resume_token=visitor["resume_token"], context=GOOD)
    assert not [query for query in captured if query["sql"].startswith("UPDATE")]


def test_cleaning_keeps_only_the_known_fields_in_their_order():
    given = {"time_zone": "UTC", "page_title": "  Many   spaces\tand\ntabs ", "extra": "x"}
    assert cleaned_visitor_context(given, city=" Paris ", country="fr") == {
        "page_title": "Many spaces and tabs",
        "time_zone": "UTC",
        "city": "Paris",
        "country": "FR",
    }


def test_a_merge_keeps_the_merged_visitors_context_when_the_kept_contact_has_none(client, inbox):
    visitor = open_session(client, inbox, context=GOOD)
    keep = Contact.objects.create(name="Léa Martin", email="lea@example.com")
    services.contact_merge(keep=keep, merge=Contact.objects.get(pk=visitor["contact_id"]))
    assert Contact.objects.get(pk=keep.pk).visitor_context == GOOD
