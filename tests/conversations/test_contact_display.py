"""How a contact is shown: a friendly generated name for one who gave none, stable from their id,
their real name once they give one, and an avatar colour white initials can be read on."""

import re

import pytest

from conversations.contact_display import (
    ADJECTIVES,
    ANIMALS,
    AVATAR_COLOURS,
    avatar_colour,
    contact_avatar,
    display_name,
    friendly_name,
)
from conversations.models import Contact
from tests.factories.conversations import ContactFactory


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of "#rrggbb"."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_helper_agrees_with_wcag_on_known_pairs():
    assert contrast("#ffffff", "#000000") == pytest.approx(21)
    assert contrast("#ffffff", "#767676") == pytest.approx(4.54, abs=0.01)  # the AA threshold grey


@pytest.mark.parametrize("colour", AVATAR_COLOURS)
def test_white_initials_reach_wcag_aa_on_every_avatar_colour(colour):
    assert re.fullmatch(r"#[0-9a-f]{6}", colour)
    assert contrast("#ffffff", colour) >= 4.5


def test_the_palette_has_distinct_colours_and_the_word_lists_distinct_words():
    assert len(set(AVATAR_COLOURS)) == len(AVATAR_COLOURS) >= 8
    assert len(set(ADJECTIVES)) == len(ADJECTIVES) >= 40
    assert len(set(ANIMALS)) == len(ANIMALS) >= 40
    assert all(re.fullmatch(r"[A-Z][a-z]+", word) for word in (*ADJECTIVES, *ANIMALS))


def test_a_friendly_name_is_an_adjective_and_an_animal_and_the_same_every_time():
    names = [friendly_name(contact_id) for contact_id in range(1, 2001)]
    assert names == [friendly_name(contact_id) for contact_id in range(1, 2001)]
    for name in names[:50]:
        adjective, animal = name.split(" ")
        assert adjective in ADJECTIVES and animal in ANIMALS
    # Spread over the lists, not a counter: neighbours differ, and most pairs get used.
    assert friendly_name(1) != friendly_name(2)
    assert len(set(names)) > 1200
    assert len({name.split()[0] for name in names}) == len(ADJECTIVES)
    assert len({name.split()[1] for name in names}) == len(ANIMALS)


def test_known_ids_keep_their_names_and_colours_across_processes_and_releases():
    """Pinned: a hash that changed (Python's hash(), a reordered list) would rename every
    anonymous customer agents already know by name."""
    pinned = {
        contact_id: (friendly_name(contact_id), avatar_colour(contact_id)) for contact_id in (1, 2, 1042)
    }
    assert pinned == {
        1: ("Coral Panda", "#475467"),
        2: ("Polite Badger", "#027a48"),
        1042: ("Violet Narwhal", "#93370d"),
    }


def test_colours_spread_over_the_palette():
    assert {avatar_colour(contact_id) for contact_id in range(1, 500)} == set(AVATAR_COLOURS)


def test_a_real_name_email_or_phone_takes_over_from_the_friendly_name():
    assert display_name(contact_id=7, name="Ana Lima", email="ana@example.com") == "Ana Lima"
    assert display_name(contact_id=7, email="ana@example.com") == "ana@example.com"
    assert display_name(contact_id=7, phone="+33612345678") == "+33612345678"
    assert display_name(contact_id=7) == friendly_name(7)


def test_an_avatar_has_the_initials_of_the_name_shown_and_a_picture_only_over_http():
    avatar = contact_avatar(contact_id=7, name="Amber Otter")
    assert (avatar.initials, avatar.colour, avatar.picture) == ("AO", avatar_colour(7), "")
    assert contact_avatar(contact_id=7, name="x", avatar_url="https://cdn.example/p.jpg").picture
    assert contact_avatar(contact_id=7, name="x", avatar_url="javascript:alert(1)").picture == ""


@pytest.mark.django_db
def test_a_contact_without_details_is_never_contact_number_n():
    contact = Contact.objects.create()
    assert str(contact) == friendly_name(contact.pk)
    assert "Contact #" not in str(contact)
    assert contact.avatar.initials == "".join(word[0] for word in friendly_name(contact.pk).split())
    assert contact.avatar.colour == avatar_colour(contact.pk)
    named = ContactFactory(name="Grace Hopper")
    assert (str(named), named.avatar.initials) == ("Grace Hopper", "GH")
