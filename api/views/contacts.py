"""Contacts: search, read, create, correct, merge; and how each is known on the agent's inboxes."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from audit.services import contact_merge_audited
from conversations import services

from .. import operations, selectors
from ..errors import Conflict
from ..pagination import NumberedPages
from ..schema import responses
from ..serializers.contacts import (
    ContactCreateSerializer,
    ContactListQuerySerializer,
    ContactMergeSerializer,
    ContactSerializer,
    ContactUpdateSerializer,
    IdentitySerializer,
)
from .base import found, valid_body, valid_query

TAGS = ["contacts"]


class ContactList(generics.ListAPIView):
    serializer_class = ContactSerializer
    pagination_class = NumberedPages

    def get_queryset(self):
        query = valid_query(ContactListQuerySerializer, self.request)
        return selectors.contacts_for_agent(self.request.user, query.get("q", "").strip())

    @extend_schema(
        tags=TAGS,
        operation_id="contacts_list",
        summary="Search contacts",
        parameters=[ContactListQuerySerializer],
        responses=responses({200: ContactSerializer(many=True)}, 400, 404),
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        tags=TAGS,
        operation_id="contacts_create",
        summary="Create a contact, known on one of your inboxes",
        request=ContactCreateSerializer,
        responses=responses({201: ContactSerializer}, 400, 409, 422),
    )
    def post(self, request: Request) -> Response:
        given = valid_body(
            ContactCreateSerializer, request, inboxes=selectors.inboxes_for_agent(request.user)
        )
        inbox = given.pop("inbox_id")
        if given.get("source_id") and selectors.identity_on_inbox(inbox=inbox, source_id=given["source_id"]):
            raise Conflict("A contact is already known by this source_id on this inbox.")
        contact = operations.contact_create(inbox=inbox, **given)
        return Response(ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


class ContactDetail(generics.GenericAPIView):
    serializer_class = ContactSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="contacts_retrieve",
        summary="A contact",
        responses=responses({200: ContactSerializer}, 404),
    )
    def get(self, request: Request, contact_id: int) -> Response:
        contact = found(selectors.contact_for_agent(request.user, contact_id), "contact")
        return Response(ContactSerializer(contact).data)

    @extend_schema(
        tags=TAGS,
        operation_id="contacts_update",
        summary="Correct a contact's details",
        description="Fields left out keep their value; a blank one clears it.",
        request=ContactUpdateSerializer,
        responses=responses({200: ContactSerializer}, 400, 404, 422),
    )
    def patch(self, request: Request, contact_id: int) -> Response:
        contact = found(selectors.contact_for_agent(request.user, contact_id), "contact")
        given = valid_body(ContactUpdateSerializer, request)
        current = {field: getattr(contact, field) for field in ("name", "email", "phone", "language")}
        contact = services.contact_edit(contact=contact, **{**current, **given})
        return Response(ContactSerializer(contact).data)


class ContactIdentities(generics.ListAPIView):
    serializer_class = IdentitySerializer
    pagination_class = None  # a contact is known on a handful of inboxes at most

    def get_queryset(self):
        contact = found(selectors.contact_for_agent(self.request.user, self.kwargs["contact_id"]), "contact")
        return selectors.identities_for_agent(self.request.user, contact)

    @extend_schema(
        tags=TAGS,
        operation_id="contacts_identities_list",
        summary="How a contact is known on your inboxes",
        responses=responses({200: IdentitySerializer(many=True)}, 404),
    )
    def get(self, request: Request, contact_id: int) -> Response:
        return self.list(request)


class ContactMerge(generics.GenericAPIView):
    serializer_class = ContactMergeSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="contacts_merge",
        summary="Fold another contact into this one",
        description="The other contact's identities, conversations and what this one does not know "
        "move here; then it is deleted. Two verified users are two people: refused (422).",
        request=ContactMergeSerializer,
        responses=responses({200: ContactSerializer}, 400, 404, 422),
    )
    def post(self, request: Request, contact_id: int) -> Response:
        keep = found(selectors.contact_for_agent(request.user, contact_id), "contact")
        merge_id = valid_body(ContactMergeSerializer, request)["merge_id"]
        merge = found(selectors.contact_for_agent(request.user, merge_id), "contact")
        contact = contact_merge_audited(keep=keep, merge=merge, request=request)
        return Response(ContactSerializer(contact).data)


class ContactMergeSuggestions(generics.ListAPIView):
    serializer_class = ContactSerializer
    pagination_class = None  # a handful at most

    def get_queryset(self):
        contact = found(selectors.contact_for_agent(self.request.user, self.kwargs["contact_id"]), "contact")
        return selectors.merge_suggestions_for_agent(self.request.user, contact)

    @extend_schema(
        tags=TAGS,
        operation_id="contacts_merge_suggestions_list",
        summary="Contacts that look like the same person",
        description="Other contacts with the same email or phone, among those you may see.",
        responses=responses({200: ContactSerializer(many=True)}, 404),
    )
    def get(self, request: Request, contact_id: int) -> Response:
        return self.list(request)
