"""The OpenAPI description both APIs are served with: drf-spectacular's, saying also that a
request refuses fields it does not take (`additionalProperties: false`, StrictSerializer), so a
client generated from it cannot send a misspelt field."""

from drf_spectacular.openapi import AutoSchema

from .serializers import StrictSerializer


class ParleySchema(AutoSchema):
    def _map_basic_serializer(self, serializer, direction: str) -> dict:
        mapped = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictSerializer):
            mapped["additionalProperties"] = False
        return mapped
