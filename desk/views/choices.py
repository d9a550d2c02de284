"""What the desk's filters and actions offer: inboxes, teams, skills, labels, agents, snooze
presets; shared by the page, the open conversation and its header."""

from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents import selectors
from agents.models import AgentProfile, Skill, Team
from agents.selectors import Sort, View
from conversations.models import Conversation, Label

from ..templatetags.desk_texts import status_name

SNOOZE_PRESETS = (
    (_("For an hour"), timedelta(hours=1)),
    (_("For 4 hours"), timedelta(hours=4)),
    (_("Until tomorrow"), timedelta(days=1)),
    (_("For a week"), timedelta(weeks=1)),
)


def desk_choices(agent: AbstractBaseUser) -> dict:
    """What the filters and actions offer: inboxes, teams, skills, labels, agents; one query each."""
    inboxes = list(selectors.desk_inboxes(agent))
    now = timezone.now()
    return {
        "inboxes": inboxes,
        "teams": list(Team.objects.order_by("name")),
        "skills": list(Skill.objects.order_by("name")),
        "labels": list(Label.objects.order_by("name")),
        "agents": list(
            AgentProfile.objects.filter(user__is_active=True).select_related("user").order_by("display_name")
        ),
        "snooze_presets": [(label, now + delta) for label, delta in SNOOZE_PRESETS],
        "statuses": [(status, status_name(status)) for status in Conversation.Status.values],
        "priorities": Conversation.Priority.choices,
        "views": ((View.MINE, _("Mine")), (View.UNASSIGNED, _("Unassigned")), (View.ALL, _("All"))),
        "sorts": (
            (Sort.ACTIVITY, _("Last activity")),
            (Sort.WAITING, _("Longest waiting")),
            (Sort.BREACHING, _("Breaching soon")),
            (Sort.PRIORITY, _("Priority")),
        ),
    }
