"""How a contact is shown to agents: the name, and the avatar's colour.

The one place that decides it. A customer who gave no name (an anonymous widget visitor, a
Messenger user whose profile is not fetched yet) is not "Contact #1042" with a "C#" avatar, all
alike: they get a friendly name made from their id ("Amber Otter") and a colour of their own, the
same on every page, in every process and after every restart (a hash of the id, not Python's
hash(), which changes per process). Nothing is stored: when they give a name, an email or a
phone number, that is shown instead, and the generated name was never anywhere to clean up.

Contact.__str__ is display_name, so the desk's rows, header and customer panel, the admin,
transcripts and notices all say the same thing.
"""

import hashlib
from dataclasses import dataclass

# Plain, friendly, unambiguous words in every context a desk shows them; nothing about looks,
# age, body, mind or origin.
ADJECTIVES = (
    "Amber", "Azure", "Bold", "Brave", "Breezy", "Bright", "Calm", "Cheerful", "Clever", "Cosy",
    "Coral", "Crimson", "Curious", "Dapper", "Eager", "Gentle", "Golden", "Happy", "Honest", "Jolly",
    "Kind", "Lively", "Lucky", "Merry", "Mellow", "Misty", "Nimble", "Noble", "Olive", "Patient",
    "Plucky", "Polite", "Quick", "Quiet", "Rosy", "Sandy", "Silver", "Sincere", "Snowy", "Sunny",
    "Swift", "Teal", "Tidy", "Topaz", "Velvet", "Violet", "Witty", "Zesty",
)  # fmt: skip
ANIMALS = (
    "Albatross", "Alpaca", "Badger", "Beaver", "Bison", "Crane", "Dolphin", "Dove", "Falcon",
    "Ferret", "Finch", "Fox", "Gazelle", "Gecko", "Hare", "Hedgehog", "Heron", "Ibis", "Koala",
    "Lemur", "Lynx", "Marten", "Meerkat", "Moose", "Narwhal", "Newt", "Ocelot", "Orca", "Osprey",
    "Otter", "Owl", "Panda", "Pelican", "Penguin", "Puffin", "Quail", "Raccoon", "Robin", "Salmon",
    "Seal", "Sparrow", "Squirrel", "Stork", "Swan", "Tapir", "Toucan", "Walrus", "Wren",
)  # fmt: skip

# White initials on each of these reach WCAG AA for normal text (4.5:1); tests check every one.
AVATAR_COLOURS = (
    "#b42318",  # red
    "#b54708",  # amber
    "#027a48",  # green
    "#107569",  # teal
    "#0e7090",  # cyan
    "#175cd3",  # blue
    "#3e4784",  # indigo
    "#5925dc",  # violet
    "#6941c6",  # purple
    "#c11574",  # pink
    "#93370d",  # brown
    "#475467",  # slate
)


@dataclass(frozen=True)
class Avatar:
    """What an avatar shows: the picture when there is one (over the colour, which shows through
    while it loads or if it fails), else the initials of the display name on the colour."""

    initials: str
    colour: str
    picture: str = ""


def friendly_name(contact_id: int | None) -> str:
    """The name of a contact who gave none ("Amber Otter"), the same for `contact_id` forever."""
    if contact_id is None:
        return "New contact"
    number = _digest(contact_id)
    return f"{ADJECTIVES[number % len(ADJECTIVES)]} {ANIMALS[(number // len(ADJECTIVES)) % len(ANIMALS)]}"


def display_name(*, contact_id: int | None, name: str = "", email: str = "", phone: str = "") -> str:
    """What the contact is called on every page: the name they (or an agent, or their provider's
    profile) gave, else their email address or phone number, else their friendly name."""
    return name or email or phone or friendly_name(contact_id)


def avatar_colour(contact_id: int | None) -> str:
    """The contact's colour from AVATAR_COLOURS, the same for `contact_id` forever (independent of
    its friendly name, so two Otters need not share a colour)."""
    if contact_id is None:
        return AVATAR_COLOURS[-1]
    return AVATAR_COLOURS[(_digest(contact_id) >> 32) % len(AVATAR_COLOURS)]


def initials(name: str) -> str:
    """The first letters of the name's first two words, upper case: "Amber Otter" -> "AO"."""
    parts = [part for part in str(name).split() if part]
    return "".join(part[0] for part in parts[:2]).upper() or "?"


def contact_avatar(*, contact_id: int | None, name: str, avatar_url: str = "") -> Avatar:
    """The avatar of a contact whose display name is `name`; `avatar_url` is their picture (a
    provider's profile picture, stored http(s) only)."""
    picture = avatar_url if avatar_url.startswith(("https://", "http://")) else ""
    return Avatar(initials=initials(name), colour=avatar_colour(contact_id), picture=picture)


def _digest(contact_id: int) -> int:
    return int.from_bytes(hashlib.blake2b(f"contact:{contact_id}".encode(), digest_size=8).digest(), "big")
