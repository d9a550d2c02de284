"""The agent behind the request, and their API token."""

from rest_framework import serializers
from rest_framework.authtoken.models import Token

from .common import agent_name, blank_or


class ProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    email = blank_or("The agent's email address")
    name = serializers.SerializerMethodField()
    is_admin = serializers.BooleanField(source="is_superuser", read_only=True)

    def get_name(self, user) -> str:
        return agent_name(user)


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = Token
        fields = ("key", "created")
        read_only_fields = fields
