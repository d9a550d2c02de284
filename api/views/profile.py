"""The agent behind the request, and their API token."""

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from .. import operations, selectors
from ..schema import responses
from ..serializers.profile import ProfileSerializer, TokenSerializer

TAGS = ["profile"]


class Profile(generics.GenericAPIView):
    serializer_class = ProfileSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="profile_retrieve",
        summary="Who you are",
        responses=responses({200: ProfileSerializer}),
    )
    def get(self, request: Request) -> Response:
        return Response(ProfileSerializer(request.user).data)


class ProfileToken(generics.GenericAPIView):
    serializer_class = TokenSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="profile_token_retrieve",
        summary="Your API token",
        description="404 until you have one: POST makes it.",
        responses=responses({200: TokenSerializer}, 404),
    )
    def get(self, request: Request) -> Response:
        token = selectors.token_of(request.user)
        if token is None:
            raise exceptions.NotFound("You have no API token yet: POST makes one.")
        return Response(TokenSerializer(token).data)

    @extend_schema(
        tags=TAGS,
        operation_id="profile_token_regenerate",
        summary="A new API token (the old one stops working at once)",
        request=None,
        responses=responses({201: TokenSerializer}),
    )
    def post(self, request: Request) -> Response:
        token = operations.agent_token_regenerate(agent=request.user)
        return Response(TokenSerializer(token).data, status=status.HTTP_201_CREATED)
