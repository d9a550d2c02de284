"""What each row of the conversation list shows, worked out once per row in Python for
desk/_list.html: a list page has fifty rows, and every tag, filter and `{% url %}` of a row costs
microseconds fifty times over (the rendering was most of the list's time). The texts are those
the template's filters made (same functions); desk/views/row_html.py draws each row from them,
escaping every value as the template did (a page's fifty rows: 12.5 ms in the template engine,
2.8 ms as f-strings, the same bytes).

ROW_FIELDS are the columns a row needs (what it shows, and the keys of the sorts, which the next
page's cursor and the row's place use): the list reads fifty conversations with their contact,
inbox and assignee, and every column of the four (the inbox's settings, three JSON documents, the
contact's attributes) were read and built for nothing."""

from collections.abc import Callable, Iterable
from datetime import datetime

from django.urls import reverse
from django.utils import dateformat
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agents import selectors
from conversations.models import Contact, Conversation, Label

from ..templatetags.desk import agent_name, ago_at, initials, short_wait, sla_left_at, truncated
from ..templatetags.desk_texts import hex_colour
from .row_html import row_html

PREVIEW_LENGTH = 90
# Whole lines with the text in them: "You: " is "Vous : " in French.
PREVIEW_LINES = {
    "agent": gettext_lazy("You: %(preview)s"),
    "bot": gettext_lazy("Bot: %(preview)s"),
    "system": "· %(preview)s",
}
MAX_ROW_LABELS = 3  # the label chips a row shows; "+N" counts the rest (static/desk/row_labels.js)


ROW_FIELDS = (
    "status",
    "bot_active",
    "priority",
    "last_activity_at",
    "waiting_since",
    "sla_due_at",
    "contact__name",
    "contact__email",
    "contact__phone",
    "contact__avatar_url",
    "inbox__name",
    "inbox__channel_type",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__agent_profile__display_name",
)


def present_rows(rows: list[Conversation], *, now: datetime) -> list[dict]:
    """What each row's line shows: pk, status, bot_active, unread, priority, contact_name (the
    contact's display name), avatar (avatar_shown), open_url, waiting (the wait as text, when a
    person's reply is awaited), ago, preview_line, priority_label, inbox (name, channel_type),
    assigned, assignee_name and assignee_initials, and sla (None without a service-level
    deadline), the label chips (row_labels), and the row drawn from all that (html: row_html)."""
    open_url = url_with_id("desk:conversation")
    presented = []
    for row in rows:
        waiting_minutes = selectors.waiting_minutes(row.waiting_since, now)
        contact_name = str(row.contact)
        waiting = waiting_minutes is not None and not row.bot_active
        assignee_name = agent_name(row.assignee)
        shown = {
            "pk": row.pk,
            "status": row.status,
            "bot_active": row.bot_active,
            "unread": row.unread,
            "priority": row.priority,
            "contact_name": contact_name,
            "avatar": avatar_shown(row.contact),
            "open_url": open_url(row.pk),
            "waiting": short_wait(waiting_minutes) if waiting else "",
            "ago": "" if waiting else ago_at(row.last_activity_at, now),
            "preview_line": _preview_line(row),
            "priority_label": row.get_priority_display() if row.priority else "",
            "inbox": {"name": row.inbox.name, "channel_type": row.inbox.channel_type},
            "assigned": row.assignee is not None,
            "assignee_name": assignee_name,
            "assignee_initials": initials(assignee_name) if row.assignee is not None else "",
            "sla": _sla(row.sla_due_at, now) if row.sla_due_at else None,
            **row_labels(row.labels.all()),
        }
        shown["html"] = row_html(shown)
        presented.append(shown)
    return presented


def avatar_shown(contact: Contact) -> dict[str, str]:
    """The contact's avatar (conversations.contact_display) as desk/_avatar.html reads it."""
    avatar = contact.avatar
    return {"initials": avatar.initials, "colour": avatar.colour, "picture": avatar.picture}


def row_labels(labels: Iterable[Label]) -> dict:
    """The row's label chips (labels, each pk, name and colour: the first MAX_ROW_LABELS by name)
    and the rest as "+N" (labels_more) with their names (labels_more_names), for its tooltip."""
    ordered = sorted(labels, key=lambda label: label.name)
    shown = [{"pk": label.pk, "name": label.name, "colour": hex_colour(label.color)} for label in ordered]
    rest = shown[MAX_ROW_LABELS:]
    return {
        "labels": shown[:MAX_ROW_LABELS],
        "labels_more": f"+{len(rest)}" if rest else "",
        "labels_more_names": ", ".join(label["name"] for label in rest),
    }


def _sla(due: datetime, now: datetime) -> dict[str, str]:
    """The service-level countdown: text and state (sla_left), and the deadline as the attribute
    desk/sla.js counts down from (`|date:'c'`) and as the tooltip says it (`|date:'j M H:i'`)."""
    text, state = sla_left_at(due, now)
    due = localtime(due)
    return {"text": text, "state": state, "due": due.isoformat(), "title": dateformat.format(due, "j M H:i")}


def _preview_line(row: Conversation) -> str:
    """Who wrote last ("You: ", "Bot: ", "· " for an activity line) and what, cut at 90 characters."""
    line = str(PREVIEW_LINES.get(row.preview_sender, "%(preview)s"))
    if row.preview:
        return line % {"preview": truncated(row.preview, PREVIEW_LENGTH)}
    return line % {"preview": "📎 " + _("Attachment") if row.preview_has_files else ""}


def url_with_id(name: str) -> Callable[[int], str]:
    """reverse(name, args=[id]) for many ids at the price of one reverse (about 50 µs each)."""
    marker = 987654321
    prefix, suffix = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{prefix}{pk}{suffix}"
