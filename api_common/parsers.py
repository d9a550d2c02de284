"""The REST API's one body parser: JSON read through the input boundary (conversations.boundary),
so a hostile body is a 400 naming what is wrong, never a RecursionError or a database error."""

from rest_framework import exceptions
from rest_framework.parsers import JSONParser

from conversations.boundary import BadInput, read_json


class BoundaryJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return read_json(stream.read() if stream is not None else b"")
        except BadInput as refusal:
            if refusal.field:  # the JSON is sound, one value is not: 400 `invalid` naming it
                raise exceptions.ValidationError({refusal.field: [refusal.detail]}) from None
            raise exceptions.ParseError(refusal.detail) from None
