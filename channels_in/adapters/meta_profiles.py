"""Who a Messenger or Instagram customer is: their webhooks carry only a page-scoped id (PSID or
IGSID), so Graph's User Profile API is asked, with the page access token.

Messenger (needs pages_messaging, and for a business app the "Business Asset User Profile Access"
feature):
    GET /{version}/{psid}?fields=first_name,last_name,profile_pic
    → {"first_name": "Peter", "last_name": "Chang", "profile_pic": "https://platform-lookaside…",
       "id": "6789012345678901"}
Instagram (needs instagram_manage_messages):
    GET /{version}/{igsid}?fields=name,username,profile_pic
    → {"name": "Peter Chang", "username": "peter_chang_live", "profile_pic": "https://…",
       "id": "5566778899001122"}
A customer Graph will not show (no permission, a deleted user, a private profile) is refused
with Graph's error object, e.g. code 100 with subcode 33 ("Object with ID … does not exist, cannot
be loaded due to missing permissions…"), or 190 for a token Meta no longer takes.
"""

from typing import Any

from conversations.models import Inbox

from .base import CustomerProfile, PermanentDeliveryError, config_value
from .content import answer_json
from .meta import bearer, graph, graph_path, graph_refusal

MESSENGER_FIELDS = "first_name,last_name,profile_pic"
INSTAGRAM_FIELDS = "name,username,profile_pic"


def messenger_profile(inbox: Inbox, psid: str) -> CustomerProfile:
    answer = _profile_answer(inbox, psid, MESSENGER_FIELDS)
    name = " ".join(part for part in (_text(answer, "first_name"), _text(answer, "last_name")) if part)
    return CustomerProfile(name=name, avatar_url=_text(answer, "profile_pic"))


def instagram_profile(inbox: Inbox, igsid: str) -> CustomerProfile:
    """The account's name, else its @username (many Instagram accounts give no name)."""
    answer = _profile_answer(inbox, igsid, INSTAGRAM_FIELDS)
    username = _text(answer, "username").lstrip("@")
    name = _text(answer, "name") or (f"@{username}" if username else "")
    return CustomerProfile(name=name, avatar_url=_text(answer, "profile_pic"))


def _profile_answer(inbox: Inbox, customer_id: str, fields: str) -> dict[str, Any]:
    if not customer_id.isdigit():  # Meta's ids are digits; anything else must not reach the path
        raise PermanentDeliveryError(f"{customer_id!r} is not a Meta user id.", code="bad_user_id")
    token = config_value(inbox, "page_access_token")
    response = graph().request(
        "GET", graph_path(customer_id), params={"fields": fields}, headers=bearer(token)
    )
    if response.status_code != 200:
        raise graph_refusal(response)
    return answer_json(response)


def _text(answer: dict[str, Any], field: str) -> str:
    value = answer.get(field)
    return value.strip() if isinstance(value, str) else ""
