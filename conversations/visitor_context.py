"""What the widget knows about its visitor, checked: the page they are on, their browser's language
and time zone, and the city and country their request came from (as a CDN or proxy in front of
Parley says it).

It arrives with every session call (docs/protocol.md, "Visitor context") and is shown to agents
in the customer panel. None of it is the visitor's word about who they are, and none of it is
worth losing a chat over: a value that is not what it says (a page link that is not http(s), a
time zone no browser names, text past its bound, control characters) is dropped alone, never
refused, never cut.
"""

import re
import zoneinfo
from collections.abc import Mapping
from functools import cache
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from .languages import LANGUAGE_TAG

MAX_URL = 2000
MAX_TITLE = 200
MAX_LANGUAGE = 35
MAX_TIME_ZONE = 64
MAX_CITY = 80
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
COUNTRY = re.compile(r"[A-Z]{2}")
UNKNOWN_COUNTRIES = frozenset({"XX", "ZZ"})  # what CDNs send when they do not know
# The keys a visitor context keeps, in the order the customer panel reads them.
FIELDS = ("page_url", "page_title", "language", "time_zone", "city", "country")
GIVEN_BY_CLIENT = ("page_url", "page_title", "language", "time_zone")


def cleaned_visitor_context(given: object, *, city: str = "", country: str = "") -> dict[str, str]:
    """The valid part of what a client said (`given`, the session call's `context` object: only
    GIVEN_BY_CLIENT are read) and of where its request came from, as stored: only the keys with a
    good value."""
    given = given if isinstance(given, Mapping) else {}
    checks = {"page_url": page_url, "page_title": page_title, "language": language, "time_zone": time_zone}
    values = {field: check(given.get(field)) for field, check in checks.items()}
    values["city"] = city_name(city)
    values["country"] = country_code(country)
    return {field: values[field] for field in FIELDS if values[field]}


def page_url(value: object) -> str:
    """An absolute http(s) link of at most MAX_URL characters, without a user or password in it,
    written as browsers give `location.href`: in ASCII (anything else percent-encoded)."""
    if not isinstance(value, str) or not value.isascii() or len(value) > MAX_URL or CONTROL.search(value):
        return ""
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError:
        return ""
    parts = urlsplit(value)
    return "" if parts.username or parts.password else value


def page_title(value: object) -> str:
    """The page's title, its runs of white space made one space; "" past MAX_TITLE characters."""
    if not isinstance(value, str):
        return ""
    title = " ".join(value.split())
    return title if len(title) <= MAX_TITLE and not CONTROL.search(title) else ""


def language(value: object) -> str:
    """A BCP 47 language tag as the browser says it ("fr-FR")."""
    if not isinstance(value, str) or len(value) > MAX_LANGUAGE or not LANGUAGE_TAG.fullmatch(value):
        return ""
    return value


def time_zone(value: object) -> str:
    """An IANA time zone name ("Europe/Paris", "UTC"), as Intl.DateTimeFormat names it."""
    if not isinstance(value, str) or len(value) > MAX_TIME_ZONE:
        return ""
    return value if value in _time_zone_names() else ""


def city_name(value: object) -> str:
    """A city as a CDN's header says it; percent-encoded ones (Vercel's) are decoded."""
    if not isinstance(value, str):
        return ""
    city = " ".join(unquote(value).split())
    if not city or len(city) > MAX_CITY or CONTROL.search(city) or not any(c.isalpha() for c in city):
        return ""
    return city


def country_code(value: object) -> str:
    """An ISO 3166 alpha-2 code ("FR"); not the CDNs' "unknown" ones nor Tor's "T1"."""
    if not isinstance(value, str):
        return ""
    code = value.strip().upper()
    return code if COUNTRY.fullmatch(code) and code not in UNKNOWN_COUNTRIES else ""


@cache
def _time_zone_names() -> frozenset[str]:
    # The database's zone files include names no browser reports ("localtime", "posixrules").
    return frozenset(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC")
