"""Who may use the API: agents, by their token (`Authorization: Token <key>`) or their desk session.

The token query also loads the agent's profile, so the permission check below costs no query.
"""

import re
from typing import TYPE_CHECKING

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:  # rest_framework.views imports the authentication classes named in settings
    from rest_framework.views import APIView

# rest_framework.authtoken keys are 20 random bytes in hex: anything else is refused unread, so a
# malformed header (a NUL byte, a megabyte of text) never reaches the database.
TOKEN_KEY = re.compile(r"[0-9a-f]{40}")


class AgentTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str):
        if not TOKEN_KEY.fullmatch(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        model = self.get_model()
        token = model.objects.select_related("user__agent_profile").filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (token.user, token)


def is_agent(user) -> bool:
    """An active staff user with an agent profile, or an admin: the people the desk lets in."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or (user.is_staff and hasattr(user, "agent_profile"))


class IsAgent(BasePermission):
    message = "The API is for agents: an active staff user with an agent profile, or an admin."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        return is_agent(request.user)
