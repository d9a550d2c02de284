"""Conversations: what the list and a conversation show, and the changes agents make."""

from django.utils import timezone
from rest_framework import serializers

from agents.models import Team
from api_common.serializers import StrictSerializer, id_field
from conversations.models import Contact, Conversation, Label

from .. import selectors
from .catalog import InboxSummarySerializer, LabelSerializer
from .common import AgentSummarySerializer, blank_or

Status = Conversation.Status
MAX_LABELS = 50


class ContactSummarySerializer(serializers.ModelSerializer):
    email = blank_or("The email address")

    class Meta:
        model = Contact
        fields = ("id", "name", "email", "phone")
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer):
    inbox = InboxSummarySerializer(read_only=True)
    contact = ContactSummarySerializer(read_only=True)
    assignee = AgentSummarySerializer(read_only=True, allow_null=True)
    labels = LabelSerializer(many=True, read_only=True)
    priority = serializers.ChoiceField(choices=Conversation.Priority.choices, read_only=True)

    class Meta:
        model = Conversation
        fields = (
            "id",
            "inbox",
            "contact",
            "status",
            "snoozed_until",
            "assignee",
            "team_id",
            "priority",
            "labels",
            "last_seq",
            "last_activity_at",
            "waiting_since",
            "first_reply_at",
            "resolved_at",
            "created_at",
        )
        read_only_fields = fields


class ConversationListItemSerializer(ConversationSerializer):
    """A row of the list: the conversation, what you have not read of it, and its last words."""

    unread_count = serializers.IntegerField(
        source="unread", read_only=True, help_text="The customer's messages you have not read."
    )
    preview = serializers.CharField(
        read_only=True, allow_null=True, help_text="The newest public message's text (null: none yet)."
    )

    class Meta(ConversationSerializer.Meta):
        fields = (*ConversationSerializer.Meta.fields, "unread_count", "preview")
        read_only_fields = fields


class ConversationChangeSerializer(StrictSerializer):
    """Any of: a new status (snoozed needs snoozed_until), a priority, the whole set of labels."""

    status = serializers.ChoiceField(choices=Status.choices, required=False)
    snoozed_until = serializers.DateTimeField(
        required=False, help_text="With status snoozed: when it wakes (a future time, ISO 8601)."
    )
    priority = serializers.ChoiceField(
        choices=Conversation.Priority.choices,
        required=False,
        help_text="0 none, 1 low, 2 medium, 3 high, 4 urgent.",
    )
    label_ids = serializers.ListField(
        child=id_field(),
        required=False,
        max_length=MAX_LABELS,
        help_text="The conversation's labels, all of them (an empty list clears them).",
    )

    def validate_label_ids(self, value: list[int]) -> list[Label]:
        """The labels themselves, read in one query."""
        found = list(Label.objects.filter(pk__in=set(value)))
        missing = set(value) - {label.pk for label in found}
        if missing:
            raise serializers.ValidationError(f"No such label: {', '.join(map(str, sorted(missing)))}.")
        return found

    def validate(self, attrs: dict) -> dict:
        snoozing = attrs.get("status") == Status.SNOOZED
        if snoozing and "snoozed_until" not in attrs:
            raise serializers.ValidationError({"snoozed_until": "Say until when to snooze."})
        if "snoozed_until" in attrs and not snoozing:
            raise serializers.ValidationError({"snoozed_until": 'Only with status "snoozed".'})
        if snoozing and attrs["snoozed_until"] <= timezone.now():
            raise serializers.ValidationError({"snoozed_until": "Snooze until a time in the future."})
        return attrs


class AssignmentSerializer(StrictSerializer):
    """Who has the conversation, and optionally its team."""

    # Validated, the ids are the agent (a user) and the Team themselves.
    assignee_id = serializers.PrimaryKeyRelatedField(
        queryset=selectors.assignable_agents(),
        allow_null=True,
        error_messages={"does_not_exist": "No such agent."},
        help_text="An agent who works the conversation's inbox; null unassigns.",
    )
    team_id = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(),
        allow_null=True,
        required=False,
        error_messages={"does_not_exist": "No such team."},
        help_text="A team; null clears it; left out keeps it.",
    )


class ConversationListQuerySerializer(serializers.Serializer):
    inbox = id_field(required=False, help_text="Only this inbox's conversations.")
    status = serializers.ChoiceField(
        choices=Status.choices, required=False, help_text="Any status if left out."
    )
    assignee = serializers.RegexField(
        r"^(me|none|[1-9][0-9]{0,17})$",
        required=False,
        help_text='"me", "none" (unassigned) or an agent\'s id.',
    )
    label = id_field(required=False, help_text="Only conversations with this label (its id).")
