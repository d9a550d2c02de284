"""The shapes both APIs answer in: errors (api/errors.py makes them) and ids."""

from collections.abc import Mapping

from rest_framework import serializers

MAX_ID = 2**63 - 1  # a bigint: larger ids cannot exist, and are refused before any query


def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class StrictSerializer(serializers.Serializer):
    """A request's shape that refuses what it does not take, each unknown field named: one taken
    silently does something other than asked (`"private": true` for `is_private` sent a note to
    the customer as a reply). Nested shapes refuse theirs the same way."""

    def to_internal_value(self, data: object) -> dict:
        if isinstance(data, Mapping):
            unknown = [key for key in data if key not in self.fields]
            if unknown:
                takes = ", ".join(name for name, field in self.fields.items() if not field.read_only)
                refusal = f"Unknown field: this request takes {takes}."
                raise serializers.ValidationError({key: [refusal] for key in unknown})
        return super().to_internal_value(data)


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
