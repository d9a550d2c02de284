"""Labels and inboxes: what conversations are sorted by and where they come from."""

from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from api_common.serializers import StrictSerializer
from conversations.models import Inbox, Label


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ("id", "name", "description", "color")
        read_only_fields = fields


class LabelCreateSerializer(StrictSerializer):
    name = serializers.SlugField(
        max_length=50,
        validators=[UniqueValidator(queryset=Label.objects.all(), message="A label with this name exists.")],
        help_text="Letters, digits, - and _: refund, vip-customer.",
    )
    description = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    color = serializers.RegexField(
        r"^#[0-9a-fA-F]{6}$", required=False, help_text="CSS hex colour, e.g. #2563eb."
    )


class InboxSerializer(serializers.ModelSerializer):
    class Meta:
        model = Inbox
        fields = ("id", "name", "channel_type", "mode", "public_key", "timezone", "is_active")
        read_only_fields = fields


class InboxSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Inbox
        fields = ("id", "name", "channel_type")
        read_only_fields = fields
