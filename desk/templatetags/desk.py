"""Small filters of the desk's templates: names, and durations people read at a glance."""

from django import template
from django.utils import timezone

from agents.selectors import BREACHING_SOON, sees_every_inbox

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
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"


@register.filter
def initials(name: str) -> str:
    parts = [part for part in str(name).split() if part]
    return "".join(part[0] for part in parts[:2]).upper() or "?"


@register.filter
def ago(moment) -> str:
    """How long ago, the way a list says it: "now", "5m", "3h", "2d", then the date."""
    if moment is None:
        return ""
    minutes = int((timezone.now() - moment).total_seconds() // 60)
    if minutes < 1:
        return "now"
    if minutes < 7 * 24 * 60:
        return short_wait(minutes)
    return f"{moment:%b} {moment.day}"


@register.filter
def sees_all(user) -> bool:
    """Administrators and supervisors: the desk tells them of every inbox's service-level misses."""
    return sees_every_inbox(user)


@register.filter
def sla_left(due) -> tuple[str, str]:
    """A service-level countdown as the row shows it before desk/sla.js takes over: (text, state),
    state "breached" once the deadline passed, "soon" within 30 minutes (the list's filter)."""
    seconds = (due - timezone.now()).total_seconds()
    if seconds <= 0:
        return "SLA missed", "breached"
    minutes = int(seconds // 60)
    return f"SLA {short_wait(max(minutes, 1))}", "soon" if seconds <= BREACHING_SOON.total_seconds() else ""
