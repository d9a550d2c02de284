"""Request and response shapes of /api/v1/channel/: what a business's backend sends and reads.

Requests are checked here (types, sizes, formats) so a bad one is a 400 before anything is
stored; the core's services then apply the business rules.
"""

import mimetypes
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api_common.serializers import MAX_ID, StrictSerializer, id_field
from conversations.models import Attachment, ContactIdentity, Conversation, Message
from conversations.payloads import sender_payload
from conversations.services import MAX_BODY_LENGTH, normalised_phone

from ..adapters.api_channel import attachment_url

MAX_ATTACHMENTS = 10
MAX_PAGE = 100
SOURCE_ID_HELP = "Your id for the customer (your user id, say): how this inbox knows them."


class ChannelContactCreateSerializer(StrictSerializer):
    source_id = serializers.CharField(max_length=255, help_text=SOURCE_ID_HELP)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="International, with its country code (+44 20 7946 0958); stored as E.164.",
    )

    def validate_phone(self, phone: str) -> str:
        try:
            return normalised_phone(phone)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error


class ChannelContactSerializer(serializers.ModelSerializer):
    """A contact as this inbox knows them (read from their identity on the inbox)."""

    id = serializers.IntegerField(source="contact_id", read_only=True)
    name = serializers.CharField(source="contact.name", read_only=True)
    email = serializers.CharField(source="contact.email", read_only=True)
    phone = serializers.CharField(source="contact.phone", read_only=True)
    created_at = serializers.DateTimeField(source="contact.created_at", read_only=True)

    class Meta:
        model = ContactIdentity
        fields = ("id", "source_id", "name", "email", "phone", "created_at")
        read_only_fields = fields


class ChannelAttachmentInputSerializer(StrictSerializer):
    url = serializers.URLField(
        max_length=1000,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Where the file is, for Parley to fetch (a public address, or one of the inbox's "
        "media_hosts).",
    )
    mime_type = serializers.RegexField(
        r"^[\w.+-]+/[\w.+-]+$",
        max_length=100,
        required=False,
        help_text="Guessed from the URL's file name when left out.",
    )
    file_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        path_name = urlsplit(attrs["url"]).path.rsplit("/", 1)[-1]
        attrs["file_name"] = attrs["file_name"] or path_name[:255]
        if not attrs.get("mime_type"):
            guessed, _ = mimetypes.guess_type(attrs["file_name"] or path_name)
            attrs["mime_type"] = guessed or "application/octet-stream"
        return attrs


class ChannelMessageCreateSerializer(StrictSerializer):
    source_id = serializers.CharField(max_length=255, help_text="The customer who wrote (see contacts).")
    message_id = serializers.CharField(
        max_length=64,
        help_text="Your id for this message, unique in the inbox: sending it again answers the stored "
        "message (200) and creates nothing.",
    )
    body = serializers.CharField(
        max_length=MAX_BODY_LENGTH, required=False, allow_blank=True, default="", trim_whitespace=False
    )
    conversation_id = id_field(
        required=False,
        help_text="The customer's conversation to write in; left out, the inbox's reopen policy picks "
        "one (their open conversation, else a new one or the last one reopened).",
    )
    attachments = serializers.ListField(
        child=ChannelAttachmentInputSerializer(), max_length=MAX_ATTACHMENTS, required=False, default=list
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs["body"].strip() and not attrs["attachments"]:
            raise serializers.ValidationError({"body": ["A message needs a body or an attachment."]})
        return attrs


class ChannelSenderSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Message.SenderKind.choices)
    name = serializers.CharField(help_text="The agent's name on their replies; empty otherwise.")


class ChannelAttachmentSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    name = serializers.CharField(source="file_name", read_only=True)
    size = serializers.IntegerField(source="byte_size", read_only=True)

    class Meta:
        model = Attachment
        fields = ("url", "mime_type", "name", "size")
        read_only_fields = fields

    def get_url(self, attachment: Attachment) -> str:
        """Absolute: the file once Parley has fetched it, until then the link as you gave it."""
        return attachment_url(attachment)


class ChannelMessageSerializer(serializers.ModelSerializer):
    message_id = serializers.SerializerMethodField()
    sender = serializers.SerializerMethodField()
    attachments = ChannelAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = (
            "id",
            "conversation_id",
            "seq",
            "message_id",
            "sender",
            "content_type",
            "body",
            "attachments",
            "delivery_status",
            "created_at",
        )
        read_only_fields = fields

    def get_message_id(self, message: Message) -> str | None:
        """Your id, on the customer messages you posted (agents' own ids stay inside Parley)."""
        return message.client_message_id if message.sender_kind == Message.SenderKind.CONTACT else None

    @extend_schema_field(ChannelSenderSerializer)
    def get_sender(self, message: Message) -> dict:
        sender = sender_payload(message)
        return {"kind": sender["kind"], "name": sender.get("name", "")}


class ChannelMessagePageSerializer(serializers.Serializer):
    results = ChannelMessageSerializer(many=True, help_text="Oldest first, by seq.")
    has_more = serializers.BooleanField(help_text="More messages follow: ask again after the last seq.")


class ChannelMessageListQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(
        min_value=0, max_value=MAX_ID, default=0, help_text="Messages with seq above this, oldest first."
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=50)


class ChannelConversationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Conversation
        fields = ("id", "status", "last_seq", "last_activity_at", "resolved_at", "created_at")
        read_only_fields = fields


class ChannelConversationListSerializer(serializers.Serializer):
    results = ChannelConversationSerializer(many=True, help_text="Newest activity first.")
