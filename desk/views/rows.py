"""What each row of the conversation list shows, worked out once per row in Python and set on the
row for desk/_list.html: a list page has fifty rows, and every tag, filter and `{% url %}` of a
row costs microseconds fifty times over (the rendering was most of the list's time). The texts
are those the template's filters made (same functions), the template still escapes them."""

from collections.abc import Callable
from datetime import datetime

from django.urls import reverse
from django.utils import dateformat
from django.utils.timezone import localtime

from agents import selectors
from conversations.models import Conversation

from ..templatetags.desk import agent_name, ago_at, initials, short_wait, sla_left_at, truncated

PREVIEW_LENGTH = 90
PREVIEW_PREFIXES = {"agent": "You: ", "bot": "Bot: ", "system": "· "}


def present_rows(rows: list[Conversation], *, now: datetime) -> list[Conversation]:
    """`rows`, each with what its line shows: contact_name, avatar, open_url, waiting (the wait as
    text, when a person's reply is awaited), ago, preview_line, priority_label, assignee_name and
    assignee_initials, and sla (None without a service-level deadline)."""
    open_url = url_with_id("desk:conversation")
    for row in rows:
        waiting_minutes = selectors.waiting_minutes(row.waiting_since, now)
        row.contact_name = str(row.contact)
        row.avatar = initials(row.contact_name)
        row.open_url = open_url(row.pk)
        waiting = waiting_minutes is not None and not row.bot_active
        row.waiting = short_wait(waiting_minutes) if waiting else ""
        row.ago = "" if waiting else ago_at(row.last_activity_at, now)
        row.preview_line = _preview_line(row)
        row.priority_label = row.get_priority_display() if row.priority else ""
        row.assignee_name = agent_name(row.assignee)
        row.assignee_initials = initials(row.assignee_name) if row.assignee is not None else ""
        row.sla = _sla(row.sla_due_at, now) if row.sla_due_at else None
    return rows


def _sla(due: datetime, now: datetime) -> dict[str, str]:
    """The service-level countdown: text and state (sla_left), and the deadline as the attribute
    desk/sla.js counts down from (`|date:'c'`) and as the tooltip says it (`|date:'j M H:i'`)."""
    text, state = sla_left_at(due, now)
    due = localtime(due)
    return {"text": text, "state": state, "due": due.isoformat(), "title": dateformat.format(due, "j M H:i")}


def _preview_line(row: Conversation) -> str:
    """Who wrote last ("You: ", "Bot: ", "· " for an activity line) and what, cut at 90 characters."""
    prefix = PREVIEW_PREFIXES.get(row.preview_sender, "")
    if row.preview:
        return prefix + truncated(row.preview, PREVIEW_LENGTH)
    return prefix + ("📎 Attachment" if row.preview_has_files else "")


def url_with_id(name: str) -> Callable[[int], str]:
    """reverse(name, args=[id]) for many ids at the price of one reverse (about 50 µs each)."""
    marker = 987654321
    prefix, suffix = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{prefix}{pk}{suffix}"
