"""The desk shows every contact by the one display name and avatar of conversations.contact_display:
an anonymous visitor is a friendly name ("Amber Otter") with a colour of their own in the list's
rows, the conversation's header and the customer panel, never "Contact #N"; a contact with a
picture shows it; and the customer panel says what the widget knows of the visitor."""

import re
from datetime import timedelta
from html import escape
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations import services
from conversations.contact_display import avatar_colour, friendly_name, initials
from conversations.models import Contact, Conversation

pytestmark = pytest.mark.django_db

PICTURE = "https://scontent.example.net/v/t1.30497-1/ana.jpg?oh=00_abc&oe=67A1"


@pytest.fixture
def desk_client(client, agent):
    client.force_login(agent)
    return client


def anonymous_writes(inbox, body="Hello", **details) -> Conversation:
    return services.message_receive(
        inbox=inbox, contact=Contact.objects.create(**details), body=body
    ).conversation


def row_of(html: str, conversation: Conversation) -> str:
    match = re.search(rf'<li class="row[^"]*" data-conversation-id="{conversation.pk}".*?</li>', html, re.S)
    assert match, f"no row for {conversation.pk}"
    return match.group(0)


def avatar_markup(contact: Contact) -> str:
    shown = initials(friendly_name(contact.pk))
    return f'style="background-color: {avatar_colour(contact.pk)}" aria-hidden="true">{shown}'


def test_a_row_shows_an_anonymous_contacts_friendly_name_and_colour(desk_client, inbox):
    conversation = anonymous_writes(inbox)
    contact = conversation.contact
    row = row_of(desk_client.get("/desk/list/", {"view": "all"}).content.decode(), conversation)
    assert f'<span class="who">{friendly_name(contact.pk)}</span>' in row
    assert avatar_markup(contact) in row
    assert "Contact #" not in row and "C#" not in row


def test_two_anonymous_contacts_are_told_apart(desk_client, inbox):
    first, second = anonymous_writes(inbox), anonymous_writes(inbox)
    html = desk_client.get("/desk/list/", {"view": "all"}).content.decode()
    shown = {re.search(r'class="who">([^<]+)<', row_of(html, c)).group(1) for c in (first, second)}
    expected = {friendly_name(first.contact_id), friendly_name(second.contact_id)}
    assert shown == expected


def test_a_contact_with_a_picture_shows_it_over_their_colour(desk_client, inbox):
    """As a Messenger or Instagram customer is once their Graph profile came in (contact_fill_profile,
    channels_in/profiles.py)."""
    conversation = anonymous_writes(inbox)
    services.contact_fill_profile(contact_id=conversation.contact_id, name="Peter Chang", avatar_url=PICTURE)
    page = desk_client.get(f"/desk/c/{conversation.pk}/").content.decode()
    assert "<h2>Peter Chang</h2>" in page and "<h3>Peter Chang</h3>" in page
    assert re.search(r'<span class="avatar tone big"[^>]*>PC<img src="' + re.escape(escape(PICTURE)), page)
    row = row_of(desk_client.get("/desk/list/", {"view": "all"}).content.decode(), conversation)
    assert f'<img src="{escape(PICTURE)}" alt=""' in row
    assert (
        f'style="background-color: {avatar_colour(conversation.contact_id)}" aria-hidden="true">PC<img' in row
    )


def test_the_list_costs_the_same_queries_for_3_or_30_anonymous_contacts(desk_client, inbox):
    def write(count: int) -> None:
        for n in range(count):
            anonymous_writes(inbox, avatar_url=PICTURE if n % 2 else "")

    def count() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            response = desk_client.get("/desk/list/", {"view": "all"})
        assert response.status_code == 200
        return len(captured), response.content.decode()

    write(3)
    few, _ = count()
    write(27)
    many, html = count()
    assert html.count('class="avatar tone"') == 30
    assert many == few


def test_the_header_and_customer_panel_show_the_friendly_name_and_colour(desk_client, inbox):
    conversation = anonymous_writes(inbox)
    contact = conversation.contact
    html = desk_client.get(f"/desk/c/{conversation.pk}/").content.decode()
    assert f"<h2>{friendly_name(contact.pk)}</h2>" in html  # the header
    assert f"<h3>{friendly_name(contact.pk)}</h3>" in html  # the customer panel
    assert f'<span class="avatar tone big" {avatar_markup(contact)}' in html
    assert "Contact #" not in html


def test_a_name_given_later_takes_over_everywhere(desk_client, inbox):
    conversation = anonymous_writes(inbox)
    services.contact_update_details(contact=conversation.contact, name="Léa Martin")
    html = desk_client.get(f"/desk/c/{conversation.pk}/").content.decode()
    row = row_of(desk_client.get("/desk/list/", {"view": "all"}).content.decode(), conversation)
    assert "<h2>Léa Martin</h2>" in html and '<span class="who">Léa Martin</span>' in row
    assert friendly_name(conversation.contact_id) not in html + row
    assert 'aria-hidden="true">LM' in row


def test_the_customer_panel_says_what_the_widget_knows_of_the_visitor(desk_client, inbox):
    conversation = anonymous_writes(inbox)
    services.contact_note_visitor_context(
        contact=conversation.contact,
        given={
            "page_url": "https://shop.example.com/boots",
            "page_title": "Trail boots",
            "language": "fr-FR",
            "time_zone": "Europe/Paris",
        },
        city="Paris",
        country="FR",
    )
    services.contact_touch_last_seen(conversation.contact)
    html = desk_client.get(f"/desk/c/{conversation.pk}/").content.decode()
    local = timezone.now().astimezone(ZoneInfo("Europe/Paris"))
    panel = re.search(r'<p class="visitor-context".*?</p>', html, re.S).group(0)
    text = re.sub(r"<[^>]+>", "", panel)
    assert text.startswith("Browsing Trail boots · Europe/Paris (")
    assert "local) · fr-FR · Paris, FR" in text
    assert f"{local:%H}:" in text
    assert 'href="https://shop.example.com/boots" target="_blank" rel="noopener noreferrer"' in panel


def test_a_visitor_seen_long_ago_was_last_on_the_page_and_none_shows_nothing(desk_client, inbox):
    conversation = anonymous_writes(inbox)
    contact = conversation.contact
    html = desk_client.get(f"/desk/c/{conversation.pk}/").content.decode()
    assert "visitor-context" not in html
    services.contact_note_visitor_context(contact=contact, given={"page_url": "https://shop.example.com/a/b"})
    Contact.objects.filter(pk=contact.pk).update(last_seen_at=timezone.now() - timedelta(hours=3))
    html = desk_client.get(f"/desk/c/{conversation.pk}/").content.decode()
    assert "Last on" in html and ">shop.example.com/a/b</a>" in html


def test_the_admins_contact_list_names_an_anonymous_contact_as_the_desk_does(admin_client):
    contact = Contact.objects.create(visitor_context={"time_zone": "Europe/Paris"})
    html = admin_client.get("/admin/conversations/contact/").content.decode()
    assert f">{friendly_name(contact.pk)}</a>" in html
    change = admin_client.get(f"/admin/conversations/contact/{contact.pk}/change/").content.decode()
    assert "Europe/Paris" in change and 'name="visitor_context"' not in change  # shown, not edited
