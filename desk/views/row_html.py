"""A row of the conversation list as HTML, from what desk.views.rows.present_rows worked out.

The list has fifty rows, and the template engine spent about 10 ms drawing them (each of a
row's thirty-odd lookups, tags and translations resolved fifty times over). Here a row is one
f-string: every value escaped as the template's autoescape did (what is already safe HTML is
kept as it is), the sentences the template's {% translate %} and {% blocktranslate %} asked for
(the same msgids, so the same catalogue entries, and like the template the translation itself
is not escaped), the same markup byte for byte. desk/_list.html still draws the page around
the rows: the empty list and the next page's loader.
"""

from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..templatetags.desk_texts import status_name


def row_html(row: dict) -> SafeString:
    """One <li> of desk/_list.html for a row of present_rows."""
    pk, status, bot, unread = row["pk"], _e(row["status"]), row["bot_active"], row["unread"]
    name = _e(row["contact_name"])
    unread_class = " unread" if unread and not bot else ""
    bot_attribute = ' data-bot="on"' if bot else ""
    select = _("Select %(name)s") % {"name": name}
    inbox = row["inbox"]
    return mark_safe(  # noqa: S308  every value escaped by _e; the translations as the template kept them
        f'<li class="row{unread_class}" data-conversation-id="{pk}" data-status="{status}"{bot_attribute}>\n'
        f'  <input type="checkbox" class="pick" name="ids" value="{pk}" form="bulk" aria-label="{select}">\n'
        f'  <a href="/desk/?c={pk}" data-open="{_e(row["open_url"])}">\n'
        f"    {_avatar(row['avatar'])}\n"
        f'    <span class="who">{name}</span>\n'
        f'    <span class="when">{_when(row)}</span>\n'
        f'    <span class="preview">{_e(row["preview_line"])}</span>\n'
        '    <span class="meta">\n'
        f'      <span class="channel" data-channel="{_e(inbox["channel_type"])}">{_e(inbox["name"])}</span>\n'
        f'      <span class="labels">{_labels(row)}</span>\n'
        f"      {_bot_badge() if bot else ''}\n"
        f"      {_sla(row['sla']) if row['sla'] else ''}\n"
        f"      {_priority(row) if row['priority'] else ''}\n"
        f"      {_status(row['status']) if row['status'] != 'open' else ''}\n"
        f"      {_assignee(row) if row['assigned'] else ''}\n"
        f"      {_unread(unread, held=bot) if unread else ''}\n"
        "    </span>\n"
        "  </a>\n"
        "</li>"
    )


def _e(value: object) -> str:
    """conditional_escape without its wrapping: safe HTML as it is, anything else escaped."""
    return value.__html__() if hasattr(value, "__html__") else escape(str(value))


def _avatar(avatar: dict) -> str:
    picture = avatar["picture"]
    img = f'<img src="{_e(picture)}" alt="" loading="lazy" referrerpolicy="no-referrer">' if picture else ""
    return (
        f'<span class="avatar tone" style="background-color: {_e(avatar["colour"])}" '
        f'aria-hidden="true">{_e(avatar["initials"])}{img}</span>'
    )


def _when(row: dict) -> str:
    if row["waiting"]:
        return f'<span class="waiting" title="{_("Waiting for a reply")}">{_e(row["waiting"])}</span>'
    return _e(row["ago"])


def _labels(row: dict) -> str:
    chips = "".join(_label(label) for label in row["labels"])
    if row["labels_more"]:
        more, names = _e(row["labels_more"]), _e(row["labels_more_names"])
        chips += f'<span class="label-more" title="{names}">{more}</span>'
    return chips


def _label(label: dict) -> str:
    colour = f' style="--label-color: {_e(label["colour"])}"' if label["colour"] else ""
    return f'<span class="label" data-label-id="{label["pk"]}"{colour}>{_e(label["name"])}</span>'


def _bot_badge() -> str:
    title = _("The answer bot is handling it: nobody needs to reply yet")
    return f'<span class="bot-badge" title="{title}">{_("With bot")}</span>'


def _sla(sla: dict) -> str:
    title = _("Service-level deadline %(deadline)s") % {"deadline": _e(sla["title"])}
    return (
        f'<span class="sla {_e(sla["state"])}" data-due="{_e(sla["due"])}" title="{title}">'
        f"{_e(sla['text'])}</span>"
    )


def _priority(row: dict) -> str:
    return f'<span class="priority p{row["priority"]}">{_e(row["priority_label"])}</span>'


def _status(status: str) -> str:
    return f'<span class="status {_e(status)}">{_e(status_name(status))}</span>'


def _assignee(row: dict) -> str:
    title = _("Assigned to %(name)s") % {"name": _e(row["assignee_name"])}
    return f'<span class="assignee" title="{title}">{_e(row["assignee_initials"])}</span>'


def _unread(unread: int, *, held: bool) -> str:
    label = ngettext("%(unread)s unread", "%(unread)s unread", unread) % {"unread": unread}
    kind = "held-count" if held else "unread-count"
    return f'<span class="{kind}" aria-label="{label}">{unread}</span>'
