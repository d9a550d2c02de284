"""How a report cell reads on the page (the CSV keeps the plain number)."""

from django import template
from django.utils.translation import gettext, pgettext

register = template.Library()


@register.filter
def shown(cell) -> str:
    value, kind = cell.value, cell.kind
    if value is None:
        return "—"
    if kind == "duration":
        return duration(value)
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "money":
        return f"${value:,.2f}"
    if kind == "hours":
        return f"{value / 3600:,.1f} h"
    if kind == "number":
        return f"{value:,.2f}"
    return f"{int(value):,}"


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return gettext("%(seconds)ss") % {"seconds": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return gettext("%(minutes)sm %(seconds)ss") % {"minutes": minutes, "seconds": f"{seconds:02d}"}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return gettext("%(hours)sh %(minutes)sm") % {"hours": hours, "minutes": f"{minutes:02d}"}
    days, hours = divmod(hours, 24)
    return gettext("%(days)sd %(hours)sh") % {"days": days, "hours": f"{hours:02d}"}


@register.filter
def change(pair) -> str:
    """The change from the previous period, as a signed percentage ('' when it cannot be said)."""
    now, before = pair
    if now.value is None or before.value in (None, 0):
        return ""
    percent = round((now.value - before.value) / before.value * 100)
    return f"{percent:+d}%" if percent else pgettext("no change from the period before", "same")
