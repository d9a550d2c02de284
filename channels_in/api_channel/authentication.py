"""Who may use /api/v1/channel/: the business's backend, by its inbox's token.

    Authorization: Bearer <inbox public key>.<secret part>

An agent's token (`Token …`) or desk session does not open these endpoints, and an inbox token
opens nothing else: each door has its own key.
"""

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from conversations.models import Inbox

from .credentials import inbox_for_token

if TYPE_CHECKING:
    from rest_framework.views import APIView

KEYWORD = b"bearer"
SECURITY_SCHEME = "inboxToken"


class InboxTokenAuthentication(BaseAuthentication):
    """request.auth is the inbox; request.user stays anonymous (no person is behind the call)."""

    def authenticate(self, request: Request) -> tuple[AnonymousUser, Inbox] | None:
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != KEYWORD:
            return None  # no credentials of ours: 401 not_authenticated
        if len(words) != 2:
            raise exceptions.AuthenticationFailed("Send `Authorization: Bearer <inbox API token>`.")
        try:
            token = words[1].decode("ascii")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed("Invalid inbox token.") from error
        inbox = inbox_for_token(token)
        if inbox is None:
            raise exceptions.AuthenticationFailed("Invalid inbox token.")
        return AnonymousUser(), inbox

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api-channel"'


class IsApiInbox(BasePermission):
    message = "These endpoints are for an API inbox's backend, with the inbox's token."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        return isinstance(request.auth, Inbox)


class InboxTokenScheme(OpenApiAuthenticationExtension):
    target_class = InboxTokenAuthentication
    name = SECURITY_SCHEME

    def get_security_definition(self, auto_schema: object) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API inbox's token (Inbox config `api_token`; made by "
            "`manage.py api_channel_credentials <inbox public key>`).",
        }
