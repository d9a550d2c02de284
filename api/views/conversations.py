"""Conversations: the list (filtered, newest activity first), one conversation, its status,
priority and labels, and who has it."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from agents.services import conversation_assign_to_agent
from conversations.models import Conversation
from conversations.services import KEEP

from .. import operations, selectors
from ..pagination import ActivityCursor
from ..schema import responses
from ..serializers.conversations import (
    AssignmentSerializer,
    ConversationChangeSerializer,
    ConversationListItemSerializer,
    ConversationListQuerySerializer,
    ConversationSerializer,
)
from .base import found, valid_body, valid_query

TAGS = ["conversations"]


class ConversationList(generics.ListAPIView):
    serializer_class = ConversationListItemSerializer
    pagination_class = ActivityCursor

    def get_queryset(self):
        query = valid_query(ConversationListQuerySerializer, self.request)
        filters = selectors.ConversationFilters(
            inbox_id=query.get("inbox"),
            status=query.get("status"),
            assignee=query.get("assignee"),
            label_id=query.get("label"),
        )
        return selectors.conversations_for_agent(self.request.user, filters)

    @extend_schema(
        tags=TAGS,
        operation_id="conversations_list",
        summary="Conversations in your inboxes, newest activity first",
        parameters=[ConversationListQuerySerializer],
        responses=responses({200: ConversationListItemSerializer(many=True)}, 400, 404),
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class ConversationDetail(generics.GenericAPIView):
    serializer_class = ConversationSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="conversations_retrieve",
        summary="A conversation",
        responses=responses({200: ConversationSerializer}, 404),
    )
    def get(self, request: Request, conversation_id: int) -> Response:
        conversation = _conversation(request, conversation_id)
        return Response(ConversationSerializer(conversation).data)

    @extend_schema(
        tags=TAGS,
        operation_id="conversations_update",
        summary="Change status, priority or labels",
        description="Any of the fields; all are applied or none. Status snoozed needs snoozed_until.",
        request=ConversationChangeSerializer,
        responses=responses({200: ConversationSerializer}, 400, 404, 422),
    )
    def patch(self, request: Request, conversation_id: int) -> Response:
        conversation = _conversation(request, conversation_id)
        given = valid_body(ConversationChangeSerializer, request)
        operations.conversation_change(
            conversation=conversation,
            actor=request.user,
            status=given.get("status"),
            snoozed_until=given.get("snoozed_until"),
            priority=given.get("priority", KEEP),
            labels=given.get("label_ids", KEEP),
        )
        return Response(ConversationSerializer(_conversation(request, conversation_id)).data)


class ConversationAssignment(generics.GenericAPIView):
    serializer_class = AssignmentSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="conversations_assign",
        summary="Give the conversation to an agent (or nobody), and optionally to a team",
        request=AssignmentSerializer,
        responses=responses({200: ConversationSerializer}, 400, 404, 422),
    )
    def post(self, request: Request, conversation_id: int) -> Response:
        conversation = _conversation(request, conversation_id)
        given = valid_body(AssignmentSerializer, request)
        conversation_assign_to_agent(
            conversation=conversation,
            assignee=given["assignee_id"],
            actor=request.user,
            team=given.get("team_id", KEEP),
        )
        return Response(ConversationSerializer(_conversation(request, conversation_id)).data)


def _conversation(request: Request, conversation_id: int) -> Conversation:
    return found(selectors.conversation_for_agent(request.user, conversation_id), "conversation")
