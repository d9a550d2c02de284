"""/api/v1/channel/: the business's backend posts its customers' messages and reads their
conversations. Each view is one service or selector call, scoped to the token's inbox; what lies
in another inbox answers 404, exactly as what does not exist."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api_common.parsers import BoundaryJSONParser
from api_common.serializers import ErrorSerializer, ValidationErrorSerializer
from conversations.models import Inbox

from . import selectors, services
from .authentication import InboxTokenAuthentication, IsApiInbox
from .serializers import (
    ChannelContactCreateSerializer,
    ChannelContactSerializer,
    ChannelConversationListSerializer,
    ChannelMessageCreateSerializer,
    ChannelMessageListQuerySerializer,
    ChannelMessagePageSerializer,
    ChannelMessageSerializer,
)

TAGS = ["api channel"]
ERRORS = {
    400: OpenApiResponse(ValidationErrorSerializer, description="Invalid input; see field_errors."),
    401: OpenApiResponse(ErrorSerializer, description="No inbox token, or not this inbox's."),
    403: OpenApiResponse(ErrorSerializer, description="Not an API inbox's token."),
    404: OpenApiResponse(ErrorSerializer, description="Not in this inbox."),
    422: OpenApiResponse(ErrorSerializer, description="Refused by Parley's rules; nothing was stored."),
}
SOURCE_ID = OpenApiParameter(
    "source_id", str, OpenApiParameter.PATH, description="Your id for the customer, as you created them."
)


def responses(success: dict, *errors: int) -> dict:
    return {**success, **{code: ERRORS[code] for code in sorted({401, 403, *errors})}}


class ChannelView(generics.GenericAPIView):
    authentication_classes = [InboxTokenAuthentication]
    permission_classes = [IsApiInbox]
    parser_classes = [BoundaryJSONParser]
    renderer_classes = [JSONRenderer]

    @property
    def inbox(self) -> Inbox:
        return self.request.auth

    def valid(self, serializer_class: type, data: object) -> dict:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class ContactCreate(ChannelView):
    serializer_class = ChannelContactSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="channel_contacts_create",
        summary="Create or identify a customer by your id for them",
        description="201 for a new contact, 200 for one this inbox already knows by `source_id` (its "
        "blank details are filled, and an anonymous one's changed, by those given).",
        request=ChannelContactCreateSerializer,
        responses=responses({201: ChannelContactSerializer, 200: ChannelContactSerializer}, 400),
    )
    def post(self, request: Request) -> Response:
        given = self.valid(ChannelContactCreateSerializer, request.data)
        identity, created = services.channel_contact_identify(inbox=self.inbox, **given)
        return Response(
            ChannelContactSerializer(identity).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MessageCreate(ChannelView):
    serializer_class = ChannelMessageSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="channel_messages_create",
        summary="Post a message your customer wrote",
        description="Stored as the customer's message, in their open conversation (or the one "
        "`conversation_id` names); agents see it at once. Idempotent by `message_id`: 201 when "
        "stored, 200 with the stored message when sent again.",
        request=ChannelMessageCreateSerializer,
        responses=responses({201: ChannelMessageSerializer, 200: ChannelMessageSerializer}, 400, 404, 422),
    )
    def post(self, request: Request) -> Response:
        given = self.valid(ChannelMessageCreateSerializer, request.data)
        message, created = services.channel_message_receive(inbox=self.inbox, **given)
        return Response(
            ChannelMessageSerializer(selectors.message_for_business(message.pk)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ContactConversationList(ChannelView):
    serializer_class = ChannelConversationListSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="channel_contact_conversations_list",
        summary="A customer's conversations in this inbox",
        parameters=[SOURCE_ID],
        responses=responses({200: ChannelConversationListSerializer}, 404),
    )
    def get(self, request: Request, source_id: str) -> Response:
        conversations = selectors.conversations_of_source(inbox=self.inbox, source_id=source_id)
        if conversations is None:
            raise exceptions.NotFound("No contact has this source_id on this inbox.")
        return Response(ChannelConversationListSerializer({"results": conversations}).data)


class ConversationMessageList(ChannelView):
    serializer_class = ChannelMessagePageSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="channel_messages_list",
        summary="A conversation's messages after a seq, oldest first",
        description="What the customer sees: their messages and the replies, never agents' private "
        "notes or activity lines. Page on with `after` = the last seq until `has_more` is false.",
        parameters=[
            ChannelMessageListQuerySerializer,
            OpenApiParameter("id", int, OpenApiParameter.PATH, description="The conversation's id."),
        ],
        responses=responses({200: ChannelMessagePageSerializer}, 400, 404),
    )
    def get(self, request: Request, id: int) -> Response:
        conversation = selectors.conversation_of_inbox(inbox=self.inbox, conversation_id=id)
        if conversation is None:
            raise exceptions.NotFound("No such conversation in this inbox.")
        query = self.valid(ChannelMessageListQuerySerializer, request.query_params)
        page, has_more = selectors.public_messages_after(
            conversation=conversation, after=query["after"], limit=query["limit"]
        )
        return Response(ChannelMessagePageSerializer({"results": page, "has_more": has_more}).data)
