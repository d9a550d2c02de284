"""A conversation's messages: paging by seq, an agent's reply or private note, a failed reply sent again."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from agents.services import reply_post
from conversations import services
from conversations.models import Conversation

from .. import selectors
from ..schema import responses
from ..serializers.messages import (
    MessageCreateSerializer,
    MessageListQuerySerializer,
    MessagePageSerializer,
    MessageSerializer,
)
from .base import found, valid_body, valid_query

TAGS = ["messages"]


class MessageList(generics.GenericAPIView):
    serializer_class = MessageSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="messages_list",
        summary="A page of the conversation's messages, oldest first",
        description="By seq: `after` pages forward (what a client that saw a gap needs), `before` pages "
        "back; with neither, the newest page. Private notes are included.",
        parameters=[MessageListQuerySerializer],
        responses=responses({200: MessagePageSerializer}, 400, 404),
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        conversation = _conversation(request, conversation_id)
        query = valid_query(MessageListQuerySerializer, request)
        page, has_more = selectors.messages_page(
            conversation=conversation,
            after=query.get("after"),
            before=query.get("before"),
            limit=query["limit"],
        )
        return Response(MessagePageSerializer({"results": page, "has_more": has_more}).data)

    @extend_schema(
        tags=TAGS,
        operation_id="messages_create",
        summary="Reply to the customer, or write a private note",
        description="Idempotent by `client_message_id`: sending it again answers the stored message and "
        "creates nothing. A reply the channel would refuse (WhatsApp's 24-hour window, a text too "
        "long for SMS) is refused with 422 and nothing is stored.",
        request=MessageCreateSerializer,
        responses=responses({201: MessageSerializer}, 400, 404, 422),
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        conversation = _conversation(request, conversation_id)
        given = valid_body(MessageCreateSerializer, request)
        message = reply_post(conversation=conversation, agent=request.user, **given)  # with its mentions
        stored = selectors.message_for_agent(message.pk)
        return Response(MessageSerializer(stored).data, status=status.HTTP_201_CREATED)


class MessageRetry(generics.GenericAPIView):
    serializer_class = MessageSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="messages_retry",
        summary="Send a failed reply again",
        description="A failed message goes back to pending and is delivered again; any other message "
        "is answered as it is (retrying twice is harmless).",
        request=None,
        responses=responses({200: MessageSerializer}, 404, 422),
    )
    def post(self, request: Request, conversation_id: int, message_id: int) -> Response:
        conversation = _conversation(request, conversation_id)
        message = found(
            selectors.message_of_conversation(conversation=conversation, message_id=message_id), "message"
        )
        services.message_retry_delivery(message_id=message.pk)
        return Response(MessageSerializer(selectors.message_for_agent(message.pk)).data)


def _conversation(request: Request, conversation_id: int) -> Conversation:
    """The conversation (without its labels: messages do not show them), or 404."""
    conversation = selectors.conversation_for_agent(request.user, conversation_id, with_labels=False)
    return found(conversation, "conversation")
