"""A contact's erasure, as the API reports it."""

from rest_framework import serializers

from privacy.models import ContactErasure


class ContactErasureSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactErasure
        fields = ("contact_id", "erased_at", "conversations", "messages", "files")
        read_only_fields = fields
