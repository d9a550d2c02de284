"""Small summaries every resource shares (errors and ids: api_common.serializers)."""

from rest_framework import serializers


def blank_or(kind: str) -> serializers.CharField:
    """A read-only text that is `kind` when known and "" when not. Described as text: a format
    (email, uri) in the schema would call every blank value a violation."""
    return serializers.CharField(read_only=True, help_text=f'{kind}, or "" when unknown.')


def agent_name(user) -> str:
    """The name the desk shows: the profile's (joined by the selectors), else the username."""
    profile = getattr(user, "agent_profile", None)
    return getattr(profile, "name", "") or user.get_username()


class AgentSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return agent_name(user)
