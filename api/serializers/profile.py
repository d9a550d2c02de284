"""The agent behind the request, and their API token."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.authtoken.models import Token

from agents.models import AgentProfile
from agents.selectors import role_of

from .common import agent_name, blank_or


class ProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    email = blank_or("The agent's email address")
    name = serializers.SerializerMethodField()
    is_admin = serializers.BooleanField(source="is_superuser", read_only=True)
    role = serializers.SerializerMethodField(
        help_text="agent: works the inboxes they are a member of; supervisor: works every inbox and "
        "sees every agent's reports, without the administrator's rights (is_admin)."
    )

    def get_name(self, user) -> str:
        return agent_name(user)

    @extend_schema_field(serializers.ChoiceField(choices=AgentProfile.Role.choices))
    def get_role(self, user) -> str:
        return role_of(user)


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = Token
        fields = ("key", "created")
        read_only_fields = fields
