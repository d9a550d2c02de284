"""The agent's own corner of the desk: their load against their capacity, the availability
switch and how the desk gets their attention."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from agents import presence, selectors
from agents.models import AgentProfile

from ..view_helpers import desk_view


@require_GET
@desk_view
def me(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/_me.html", me_context(request.user))


@require_POST
@desk_view
def availability(request: HttpRequest) -> HttpResponse:
    """The agent's switch: available, or away while the desk stays open."""
    presence.agent_set_accepting(agent=request.user, accepting=request.POST.get("accepting") == "on")
    return render(request, "desk/_me.html", me_context(request.user))


@require_POST
@desk_view
def notification_settings(request: HttpRequest) -> HttpResponse:
    """How the desk gets the agent's attention: a chime, browser notifications, and desktop
    notifications for mentions and for assignments."""
    AgentProfile.objects.update_or_create(
        user=request.user,
        defaults={
            "notify_sound": request.POST.get("notify_sound") == "on",
            "notify_browser": request.POST.get("notify_browser") == "on",
            "notify_mentions": request.POST.get("notify_mentions") == "on",
            "notify_assignments": request.POST.get("notify_assignments") == "on",
        },
    )
    return render(request, "desk/_me.html", me_context(request.user))


@require_POST
@desk_view
def notification_offer(request: HttpRequest) -> HttpResponse:
    """The agent's answer to the desk's offer of desktop notifications, asked once: "on" turns on
    those for mentions and assignments (the page has asked the browser's permission), anything
    else is "Not now". Either way the offer is not shown again; the settings change it later."""
    turn_on = request.POST.get("answer") == "on"
    defaults = {"notify_offer_answered": True}
    if turn_on:
        defaults |= {"notify_mentions": True, "notify_assignments": True}
    AgentProfile.objects.update_or_create(user=request.user, defaults=defaults)
    return render(request, "desk/_me.html", me_context(request.user))


def me_context(agent: AbstractBaseUser) -> dict:
    profile, _ = AgentProfile.objects.get_or_create(user=agent)
    return {"profile": profile, "load": selectors.agent_load(agent)}
