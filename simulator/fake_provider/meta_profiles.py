"""Graph's User Profile API for the customers the fake plays on Messenger and Instagram:

    GET /{version}/{psid}?fields=first_name,last_name,profile_pic
        → {"first_name": "Peter", "last_name": "Chang", "profile_pic": "https://…", "id": "<psid>"}
    GET /{version}/{igsid}?fields=name,username,profile_pic
        → {"name": "Peter Chang", "username": "peter_chang_live", "profile_pic": "https://…",
           "id": "<igsid>"}

    GET /{version}/me?fields=id,name  → {"id": "…", "name": "Parley fake Page"}: whom the token
        stands for (a Page for a Page token), which Parley's admin asks to check a token on save.

A customer is known once registered (FakeProvider.add_profile), as a Messenger user (first_name,
last_name, profile_pic) or an Instagram one (name, username, profile_pic). Only the fields asked
for and known are answered, as Graph does; a field the node type does not have is refused with
code 100 ("Tried accessing nonexisting field (username) on node type (User)"). An id the fake
does not know gets meta.py's "Unsupported get request" (code 100, subcode 33), Graph's answer
for a user it will not show.
"""

from __future__ import annotations

from typing import Any

GraphRefusal = tuple[int, dict[str, Any]]

FIELDS = {
    "messenger": ("first_name", "last_name", "name", "profile_pic", "locale", "timezone", "gender"),
    "instagram": (
        "name",
        "username",
        "profile_pic",
        "follower_count",
        "is_verified_user",
        "is_user_follow_business",
        "is_business_follow_user",
    ),
}


def checked_profile(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A profile to register: `kind` messenger or instagram, and only fields Graph has for it."""
    if kind not in FIELDS:
        raise ValueError(f"a profile is a messenger or instagram user, not {kind!r}")
    unknown = set(fields) - set(FIELDS[kind])
    if unknown:
        raise ValueError(f"{kind} profiles have no {sorted(unknown)}; they have {list(FIELDS[kind])}")
    return {"kind": kind, **{name: value for name, value in fields.items() if value not in (None, "")}}


def profile_answer(user_id: str, profile: dict[str, Any], fields_param: str) -> dict[str, Any] | GraphRefusal:
    asked = [name.strip() for name in fields_param.split(",") if name.strip()] or ["id"]
    kind = profile["kind"]
    for name in asked:
        if name != "id" and name not in FIELDS[kind]:
            return 400, {
                "message": f"(#100) Tried accessing nonexisting field ({name}) on node type (User)",
                "code": 100,
            }
    answer = {name: profile[name] for name in asked if name in profile and name != "kind"}
    return {**answer, "id": user_id}


TOKEN_OWNER = {"id": "104226242500932", "name": "Parley fake Page"}


def token_owner(fields_param: str) -> dict[str, Any]:
    asked = {name.strip() for name in fields_param.split(",")} | {"id"}
    return {name: value for name, value in TOKEN_OWNER.items() if name in asked}
