"""Labels (everyone's) and the inboxes the agent works."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from conversations import services

from .. import selectors
from ..pagination import NumberedPages
from ..schema import responses
from ..serializers.catalog import InboxSerializer, LabelCreateSerializer, LabelSerializer
from .base import valid_body


class LabelList(generics.ListAPIView):
    serializer_class = LabelSerializer
    pagination_class = NumberedPages

    def get_queryset(self):
        return selectors.labels()

    @extend_schema(
        tags=["labels"],
        operation_id="labels_list",
        summary="Labels, by name",
        responses=responses({200: LabelSerializer(many=True)}, 400, 404),
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        tags=["labels"],
        operation_id="labels_create",
        summary="Create a label",
        request=LabelCreateSerializer,
        responses=responses({201: LabelSerializer}, 400, 422),
    )
    def post(self, request: Request) -> Response:
        label = services.label_create(**valid_body(LabelCreateSerializer, request))
        return Response(LabelSerializer(label).data, status=status.HTTP_201_CREATED)


class InboxList(generics.ListAPIView):
    serializer_class = InboxSerializer
    pagination_class = NumberedPages

    def get_queryset(self):
        return selectors.inboxes_for_agent(self.request.user)

    @extend_schema(
        tags=["inboxes"],
        operation_id="inboxes_list",
        summary="The inboxes you work (administrators and supervisors: all active ones)",
        responses=responses({200: InboxSerializer(many=True)}, 400, 404),
    )
    def get(self, request: Request) -> Response:
        return self.list(request)
