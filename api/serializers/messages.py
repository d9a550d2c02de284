"""Messages of a conversation, as agents see them (private notes and delivery failures included)."""

from rest_framework import serializers

from api_common.serializers import MAX_ID, StrictSerializer
from conversations.models import Attachment, Message
from conversations.services import MAX_BODY_LENGTH

from .common import agent_name

MAX_PAGE = 100


class SenderSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Message.SenderKind.choices, source="sender_kind")
    agent_id = serializers.IntegerField(source="sender_agent_id", allow_null=True)
    name = serializers.SerializerMethodField()

    def get_name(self, message: Message) -> str:
        """The agent's name for their messages; empty for the contact, bots and the system."""
        agent = message.sender_agent
        if message.sender_kind != Message.SenderKind.AGENT or agent is None:
            return ""
        return agent_name(agent)


class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ("id", "url", "mime_type", "file_name", "byte_size", "width", "height")
        read_only_fields = fields

    def get_url(self, attachment: Attachment) -> str | None:
        return attachment.file.url if attachment.file else None  # a provider's file still downloading


class ActionSerializer(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()


class MessageSerializer(serializers.ModelSerializer):
    sender = SenderSerializer(source="*", read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    actions = ActionSerializer(
        many=True,
        read_only=True,
        help_text="Replies a bot's message offered; the customer answers with a message.",
    )
    error_code = serializers.CharField(source="provider_error_code", read_only=True)
    error = serializers.CharField(
        source="provider_error", read_only=True, help_text="Why delivery failed, in the provider's words."
    )

    class Meta:
        model = Message
        fields = (
            "id",
            "conversation_id",
            "seq",
            "client_message_id",
            "sender",
            "is_private",
            "content_type",
            "body",
            "attachments",
            "actions",
            "delivery_status",
            "error_code",
            "error",
            "created_at",
        )
        read_only_fields = fields


class MessagePageSerializer(serializers.Serializer):
    results = MessageSerializer(many=True, help_text="Oldest first, by seq.")
    has_more = serializers.BooleanField(
        help_text="More messages lie beyond this page in the direction of paging: after the last one "
        "when paging with `after`, otherwise before the first one."
    )


class MessageCreateSerializer(StrictSerializer):
    body = serializers.CharField(max_length=MAX_BODY_LENGTH, trim_whitespace=False)
    is_private = serializers.BooleanField(
        default=False, help_text="A note for agents; the customer never sees it."
    )
    client_message_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        help_text="Your id for this message: sending it again returns the stored message, "
        "and creates nothing.",
    )


class MessageListQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, max_value=MAX_ID, required=False, help_text="Messages with seq above this, oldest first."
    )
    before = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="Messages with seq below this."
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=50)

    def validate(self, attrs: dict) -> dict:
        if "after" in attrs and "before" in attrs:
            raise serializers.ValidationError("Page with after or with before, not both.")
        return attrs
