"""What every endpoint shares: parsing a request's body or query with a serializer, and 404s."""

from typing import TypeVar

from rest_framework import exceptions, serializers
from rest_framework.request import Request

SerializerT = TypeVar("SerializerT", bound=serializers.Serializer)
ModelT = TypeVar("ModelT")


def valid_body(serializer_class: type[SerializerT], request: Request, **context: object) -> dict:
    serializer = serializer_class(data=request.data, context={"request": request, **context})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def valid_query(serializer_class: type[SerializerT], request: Request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def found(thing: ModelT | None, what: str) -> ModelT:
    """The thing, or 404: what lies in another agent's inboxes is as absent as what never was."""
    if thing is None:
        raise exceptions.NotFound(f"No such {what} in your inboxes.")
    return thing
