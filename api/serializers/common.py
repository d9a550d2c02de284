"""Shapes every resource shares: errors (api/errors.py makes them) and small summaries."""

from rest_framework import serializers

MAX_ID = 2**63 - 1  # a bigint: larger ids cannot exist, and are refused before any query


def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in words for people.")
    code = serializers.CharField(
        help_text="Stable and machine-readable: not_found, not_authenticated, authentication_failed, "
        "permission_denied, refused, conflict, parse_error, method_not_allowed, unsupported_media_type."
    )


class ValidationErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="A summary of every field's problem.")
    code = serializers.CharField(help_text='"invalid", or "parse_error" for a body that is not JSON.')
    field_errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='With "invalid": messages per field; nested fields are dotted ("label_ids.2"), '
        'request-wide ones are under "non_field_errors".',
    )


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
