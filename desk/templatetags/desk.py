"""Small filters of the desk's templates: names, durations people read at a glance, and a
message's text as HTML."""

import html
import re

from django import template
from django.template.defaultfilters import linebreaksbr, urlize
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.html import Urlizer, urlizer
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import (
    Truncator,
    add_truncation_text,
    calculate_truncate_chars_length,
    normalize_newlines,
)
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agents.selectors import BREACHING_SOON, sees_every_inbox
from conversations import contact_display

register = template.Library()


@register.filter
def agent_name(user) -> str:
    """The agent's display name; the profile comes with select_related (SENDER_RELATED), so no query."""
    if user is None:
        return ""
    profile = getattr(user, "agent_profile", None)
    return getattr(profile, "display_name", "") or user.get_full_name() or user.get_username()


@register.filter
def short_wait(minutes: int | None) -> str:
    """12 -> "12m", 135 -> "2h", 3000 -> "2d"."""
    if minutes is None:
        return ""
    if minutes < 60:
        return pgettext("a wait in minutes, short", "%(minutes)sm") % {"minutes": minutes}
    if minutes < 48 * 60:
        return pgettext("a wait in hours, short", "%(hours)sh") % {"hours": minutes // 60}
    return pgettext("a wait in days, short", "%(days)sd") % {"days": minutes // (24 * 60)}


@register.filter
def initials(name: str) -> str:
    """Ana Lima -> AL: agents' avatars say it as contacts' do (conversations.contact_display)."""
    return contact_display.initials(name)


@register.filter
def ago(moment) -> str:
    """How long ago, the way a list says it: "now", "5m", "3h", "2d", then the date."""
    return ago_at(moment, timezone.now())


def ago_at(moment, now) -> str:
    """`ago`, seen at `now` (a list page works out all its rows at one instant)."""
    if moment is None:
        return ""
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 1:
        return pgettext("how long ago", "now")
    if minutes < 7 * 24 * 60:
        return short_wait(minutes)
    month = MONTHS_3[moment.month].title()
    return pgettext("a day of a month, short", "%(month)s %(day)s") % {"month": month, "day": moment.day}


@register.filter
def sees_all(user) -> bool:
    """Administrators and supervisors: the desk tells them of every inbox's service-level misses."""
    return sees_every_inbox(user)


@register.filter
def sla_left(due) -> tuple[str, str]:
    """A service-level countdown as the row shows it before desk/sla.js takes over: (text, state),
    state "breached" once the deadline passed, "soon" within 30 minutes (the list's filter)."""
    return sla_left_at(due, timezone.now())


def sla_left_at(due, now) -> tuple[str, str]:
    """`sla_left`, seen at `now`."""
    seconds = (due - now).total_seconds()
    if seconds <= 0:
        return _("SLA missed"), "breached"
    minutes = int(seconds // 60)
    left = _("SLA %(left)s") % {"left": short_wait(max(minutes, 1))}
    return left, "soon" if seconds <= BREACHING_SOON.total_seconds() else ""


# A word can become a link (Urlizer.handle_word) only if an "@" or ":" is in it, or a "." that
# is not part of the word's closing run of ".", "," and "!": without one, the `middle` Urlizer
# keeps holds no dot, colon or at sign, which neither of its URL patterns nor an email address
# can match, and the word is only escaped.
MAY_LINK = re.compile(r"""[@:]|\.[.,!]*[^.,!\s<>"']""")


@register.filter(is_safe=True)
def message_html(body: str) -> SafeString:
    """`body|urlize|linebreaksbr`, the same HTML in a fraction of the time (urlize's per-word work
    was a third of rendering a page of history): text without a possible link is escaped whole,
    and only the words that may be links go through Django's own Urlizer."""
    if isinstance(body, SafeData):  # never from the database; keep Django's own path for it
        return linebreaksbr(urlize(body))
    text = str(body)
    if MAY_LINK.search(text) is None:
        text = html.escape(text)
    else:
        words: dict[str, str] = {}
        for word in WORD_SPLIT.split(text):
            if word not in words:
                words[word] = (
                    urlizer.handle_word(word, safe_input=False, nofollow=True, autoescape=True)
                    if MAY_LINK.search(word)
                    else html.escape(word)
                )
        text = "".join(words[word] for word in WORD_SPLIT.split(text))
    return mark_safe(normalize_newlines(text).replace("\n", "<br>"))  # noqa: S308  every word escaped above


WORD_SPLIT = re.compile(Urlizer.word_split_re.pattern)


def truncated(text: str, length: int) -> str:
    """`text|truncatechars:length`, the same text: Truncator walks every character of every
    preview to skip combining marks, which ASCII text has none of."""
    if not text.isascii():
        return Truncator(text).chars(length)
    if len(text) <= length:
        return text
    return add_truncation_text(text[: calculate_truncate_chars_length(length, None)])
