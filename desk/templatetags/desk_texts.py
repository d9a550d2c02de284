"""What the desk calls a status and a label's colour, the same in the list, its filters, the
header and the customer panel (issue 21): a status by a short name a narrow select shows whole,
the header's with what it waits for; a label's colour only when it is a hex colour, since it is
written into a style attribute."""

import re

from django import template
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from conversations.models import Conversation

register = template.Library()

Status = Conversation.Status

# The model's labels are the admin's ("Pending (waiting on the customer)"): cut to a word they
# read "Pending …", and title-cased by the chip's CSS "Pending (Waiting On The Customer)".
STATUS_NAMES = {
    Status.OPEN: pgettext_lazy("conversation status", "Open"),
    Status.PENDING: pgettext_lazy("conversation status", "Pending"),
    Status.SNOOZED: pgettext_lazy("conversation status", "Snoozed"),
    Status.RESOLVED: pgettext_lazy("conversation status", "Resolved"),
}
STATUS_LINES = {Status.PENDING: _("Pending: waiting on the customer")}

HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@register.filter
def status_name(status: str) -> str:
    """A status as the list's filter and rows name it: "Pending"."""
    return str(STATUS_NAMES.get(status, str(status).capitalize()))


@register.filter
def status_line(status: str) -> str:
    """A status as the open conversation's header says it: "Pending: waiting on the customer"."""
    return str(STATUS_LINES.get(status) or status_name(status))


@register.filter
def hex_colour(colour: str) -> str:
    """The label's colour ("#2563eb"), or "" for anything else (a label is typed in the admin, and
    its colour goes into a style attribute)."""
    return colour if isinstance(colour, str) and HEX_COLOUR.fullmatch(colour) else ""
