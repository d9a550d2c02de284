"""How the customer panel names a contact's channels: each inbox the contact is known on, with the
address a person recognises (the phone number of an SMS or WhatsApp identity, an email address),
once. A merged contact can be known on one SMS inbox by two numbers, or on two inboxes named
alike by one: the inbox's name alone read "SMS", "SMS" (issue 21, point 10).

Ids no one reads (a widget visitor's, a page-scoped Messenger id) are not shown."""

import re
from collections.abc import Iterable

from conversations.models import ChannelType, ContactIdentity

PHONE_CHANNELS = frozenset({ChannelType.SMS, ChannelType.WHATSAPP})  # WhatsApp ids are numbers without "+"
ADDRESS_CHANNELS = frozenset({ChannelType.EMAIL})

# Country calling codes of one and two digits (ITU-T E.164 assignments); every other is three.
ONE_DIGIT_CODES = frozenset({"1", "7"})
TWO_DIGIT_CODES = frozenset(
    {"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48"}
    | {"49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66"}
    | {"81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98"}
)
DIGITS = re.compile(r"\+?\d{6,15}")


def present_identities(identities: Iterable[ContactIdentity]) -> list[dict[str, str]]:
    """The panel's lines: inbox_name, channel_type and address ("" where none is readable), in the
    order given, each line once."""
    lines: dict[tuple[str, str, str], dict[str, str]] = {}
    for identity in identities:
        channel_type = identity.inbox.channel_type
        line = {
            "inbox_name": identity.inbox.name,
            "channel_type": channel_type,
            "address": identity_address(channel_type, identity.source_id),
        }
        lines.setdefault((line["inbox_name"], channel_type, line["address"]), line)
    return list(lines.values())


def identity_address(channel_type: str, source_id: str) -> str:
    """The address a person reads for this identity, or "" for an id no one reads."""
    if channel_type in PHONE_CHANNELS:
        return readable_phone(source_id)
    if channel_type in ADDRESS_CHANNELS:
        return source_id
    return ""


def readable_phone(number: str) -> str:
    """An international number in groups after its country code: "+14155550100" reads
    "+1 415 555 0100", "+33612345678" "+33 612 345 678". Anything else is returned as it is."""
    if not DIGITS.fullmatch(number):
        return number
    digits = number.lstrip("+")
    code_length = 1 if digits[:1] in ONE_DIGIT_CODES else 2 if digits[:2] in TWO_DIGIT_CODES else 3
    return " ".join(["+" + digits[:code_length], *digit_groups(digits[code_length:])])


def digit_groups(digits: str) -> list[str]:
    """Threes, ending in a four or two fours where threes do not fit: 9 digits 3-3-3, 10 3-3-4,
    8 4-4, 11 3-4-4."""
    if len(digits) <= 4:
        return [digits] if digits else []
    fours = len(digits) % 3 if len(digits) >= 7 else 0
    head = digits[: len(digits) - 4 * fours]
    groups = [head[at : at + 3] for at in range(0, len(head), 3)]
    groups += [digits[len(head) + 4 * n : len(head) + 4 * n + 4] for n in range(fours)]
    return [group for group in groups if group]
