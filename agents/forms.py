"""Admin forms for agents: the user forms carry team membership; the conversation form checks that
an assignee may work the conversation's inbox before anything is saved."""

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from conversations.models import Conversation

from .models import Team
from .services import agent_can_work_inbox


def team_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=Team.objects.all(),
        required=False,
        widget=FilteredSelectMultiple("teams", is_stacked=False),
        help_text="Conversations routed to a team reach its members.",
    )


class AgentCreationForm(AdminUserCreationForm):
    teams = team_field()

    class Meta(AdminUserCreationForm.Meta):
        fields = ("username", "email", "first_name", "last_name")


class AgentChangeForm(UserChangeForm):
    teams = team_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["teams"].initial = self.instance.teams.all()


class ConversationRoutingForm(forms.ModelForm):
    """Refuses what conversation_assign_to_agent would refuse, so the form shows it as an error."""

    class Meta:
        model = Conversation
        fields = ("assignee", "team", "skill", "priority", "labels")

    def clean(self) -> dict:
        cleaned = super().clean()
        assignee = cleaned.get("assignee")
        assignee_changed = "assignee" in self.changed_data and assignee is not None
        if assignee_changed and not agent_can_work_inbox(agent=assignee, inbox_id=self.instance.inbox_id):
            self.add_error("assignee", f"{assignee} is not an active member of {self.instance.inbox}.")
        return cleaned
