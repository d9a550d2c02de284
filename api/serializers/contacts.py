"""Contacts (customers), how they are known on each inbox, and their merges."""

from rest_framework import serializers

from api_common.serializers import StrictSerializer, id_field
from conversations.languages import language_code
from conversations.models import Contact, ContactIdentity, Inbox
from conversations.services import normalised_phone

from .common import blank_or

NAME_MAX = 200  # what conversations.services keeps of a name
EMAIL_MAX = 254


class ContactSerializer(serializers.ModelSerializer):
    email = blank_or("The email address")
    avatar_url = blank_or("A link to the contact's picture")
    custom_attributes = serializers.DictField(
        read_only=True, help_text="What the business's pages said about this contact."
    )

    class Meta:
        model = Contact
        fields = (
            "id",
            "name",
            "email",
            "phone",
            "language",
            "avatar_url",
            "external_id",
            "custom_attributes",
            "last_seen_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class IdentitySerializer(serializers.ModelSerializer):
    inbox_name = serializers.CharField(source="inbox.name", read_only=True)

    class Meta:
        model = ContactIdentity
        fields = ("id", "inbox_id", "inbox_name", "source_id", "created_at")
        read_only_fields = fields


class ContactDetailsSerializer(StrictSerializer):
    """A contact's details. A phone number is international (E.164, +14155550100) or blank."""

    # Checked here as the services will check them, so a bad one is a 400 naming its field.

    name = serializers.CharField(max_length=NAME_MAX, allow_blank=True, required=False)
    email = serializers.EmailField(max_length=EMAIL_MAX, allow_blank=True, required=False)
    phone = serializers.CharField(
        max_length=32, allow_blank=True, required=False, help_text="International, e.g. +14155550100."
    )
    language = serializers.CharField(
        max_length=35, allow_blank=True, required=False, help_text="A language tag: en, fr, pt-BR."
    )

    def validate_phone(self, value: str) -> str:
        return normalised_phone(value)

    def validate_language(self, value: str) -> str:
        return language_code(value)


class ContactCreateSerializer(ContactDetailsSerializer):
    """A new contact, known on one of your inboxes."""

    # Validated, `inbox_id` is the Inbox itself, one of the context's `inboxes` (the agent's).

    inbox_id = serializers.PrimaryKeyRelatedField(
        queryset=Inbox.objects.none(),
        help_text="An inbox you work: the contact is known there (and visible to you).",
    )
    source_id = serializers.CharField(
        max_length=255,
        required=False,
        help_text="How the contact is known on that inbox: for SMS and WhatsApp their number in E.164, "
        "for the widget a visitor id. Left out: a new opaque id.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inbox_id"].queryset = self.context.get("inboxes", Inbox.objects.none())


class ContactUpdateSerializer(ContactDetailsSerializer):
    """Fields left out keep their value; a blank one clears it."""


class ContactMergeSerializer(StrictSerializer):
    merge_id = id_field(help_text="The contact folded into this one, then deleted.")


class ContactListQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Part of a name, email or phone."
    )
