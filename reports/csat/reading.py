"""How a customer's message answers a survey. Only the server reads answers (docs/protocol.md,
"Offered replies"): a tapped button arrives as its title on every channel, and a customer who types
the same is understood the same way.

A rating is strict on purpose, because a rating's message does not reopen the conversation: a
button's title or id, a digit 1-5 alone ("4", "4/5", "4 stars"), or one to five stars. "2 items
are still missing" is not a rating: it reopens the conversation, and a person reads it.
"""

import re
from collections.abc import Sequence

RATING_ID_PREFIX = "csat:"
RATINGS_SHOWN = range(1, 6)
NO_COMMENT_ID = "csat:no_comment"
DIGIT = re.compile(r"^([1-5])\s*(?:/\s*5|out of 5|stars?)?[.!]?$", re.IGNORECASE)
STARS = frozenset("★⭐")


def rating_id(rating: int) -> str:
    return f"{RATING_ID_PREFIX}{rating}"


def rating_of_id(action_id: str) -> int | None:
    """The rating a survey button's id stands for (`csat:4` is 4); None for any other id."""
    number = action_id.removeprefix(RATING_ID_PREFIX)
    if action_id.startswith(RATING_ID_PREFIX) and number.isdigit() and 1 <= int(number) <= 5:
        return int(number)
    return None


def rating_in(text: str, offered: Sequence[dict]) -> int | None:
    """The rating `text` gives, reading the buttons the survey `offered` first; None when it
    gives none."""
    said = plain(text)
    for action in offered:
        if said in (plain(str(action.get("title", ""))), plain(str(action.get("id", "")))):
            rating = rating_of_id(str(action.get("id", "")))
            if rating is not None:
                return rating
    match = DIGIT.match(said)
    if match:
        return int(match.group(1))
    stars = said.replace(" ", "")
    if 1 <= len(stars) <= 5 and set(stars) <= STARS:
        return len(stars)
    return None


def declines_comment(text: str, no_comment_title: str) -> bool:
    """The customer tapped (or typed) the button that declines the comment."""
    return plain(text) in (plain(no_comment_title), plain(NO_COMMENT_ID))


def plain(text: str) -> str:
    """Case, spacing and emoji variation selectors do not change what a customer said."""
    return " ".join(text.replace("\ufe0f", "").split()).casefold()
