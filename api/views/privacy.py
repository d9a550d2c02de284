"""A person's rights through the API: export everything held about a contact (a ZIP), erase them.

Both cover every inbox the contact wrote to, so both are for those who see every inbox:
exporting for administrators and supervisors, erasing (which cannot be undone) for
administrators only. Anyone else gets 403; a contact they cannot see at all, 404 as ever.
"""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics
from rest_framework.request import Request
from rest_framework.response import Response

from agents.selectors import sees_every_inbox
from audit.context import actor_of_request
from privacy.services import erase_contact, export_contact

from .. import selectors
from ..schema import responses
from ..serializers.privacy import ContactErasureSerializer
from .base import found

TAGS = ["contacts"]


class ContactExport(generics.GenericAPIView):
    serializer_class = None

    @extend_schema(
        tags=TAGS,
        operation_id="contacts_export",
        summary="Everything held about a contact, as a ZIP archive",
        description="manifest.json, contact.json, identities.json, conversations.json (public "
        "messages; private notes excluded), csat.json, facts.json, and attachments/ with each "
        "file. Administrators and supervisors only. Recorded in the audit log. An erased "
        "contact: 422 `contact_erased`.",
        responses=responses(
            {(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The archive.")},
            404,
            422,
        ),
    )
    def get(self, request: Request, contact_id: int) -> FileResponse:
        contact = found(selectors.contact_for_agent(request.user, contact_id), "contact")
        if not sees_every_inbox(request.user):
            raise exceptions.PermissionDenied("Exporting a contact is for administrators and supervisors.")
        archive = export_contact(contact=contact, actor=actor_of_request(request), request=request)
        return FileResponse(
            archive.file, as_attachment=True, filename=archive.file_name, content_type="application/zip"
        )


class ContactErase(generics.GenericAPIView):
    serializer_class = ContactErasureSerializer

    @extend_schema(
        tags=TAGS,
        operation_id="contacts_erase",
        summary="Erase a contact",
        description="Removes their name, addresses, identities, message texts, emails, files, "
        "CSAT comments and raw provider payloads; conversations and messages stay as empty rows "
        "so reports keep their counts (docs/privacy.md). Administrators only. Refused (422 "
        "`conversation_not_resolved`) while a conversation of theirs is not resolved. Erasing "
        "again answers the first erasure. Recorded in the audit log.",
        request=None,
        responses=responses({200: ContactErasureSerializer}, 404, 422),
    )
    def post(self, request: Request, contact_id: int) -> Response:
        contact = found(selectors.contact_for_agent(request.user, contact_id), "contact")
        if not request.user.is_superuser:
            raise exceptions.PermissionDenied("Erasing a contact is for administrators.")
        erasure = erase_contact(contact=contact, actor=actor_of_request(request), request=request)
        return Response(ContactErasureSerializer(erasure).data)
