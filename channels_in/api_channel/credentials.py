"""An API inbox's credentials: the token its business's backend sends, and the secret Parley signs
its replies with. Both live in Inbox.config (`api_token`, `webhook_secret`).

A token is `<inbox public key>.<secret part>`: the public key (not a secret) finds the inbox by its
unique index, and only then is the whole token compared with the stored one, in constant time. No
database query ever compares a secret, so response times say nothing about one.
"""

import re
import secrets
from dataclasses import dataclass

from django.db import transaction

from conversations.models import ChannelType, Inbox

from ..adapters.base import same_secret

TOKEN_SEPARATOR = "."  # noqa: S105 (a separator, not a secret)
# A public key (token_urlsafe, or one an admin chose), a dot, then token_urlsafe(32): anything
# else is refused unread, so a malformed header (a NUL byte, a megabyte of text) never reaches SQL.
TOKEN_SHAPE = re.compile(r"(?P<key>[A-Za-z0-9_-]{1,40})\.[A-Za-z0-9_-]{20,100}")
SECRET_PREFIX = "whsec_"  # noqa: S105 (says what the value is, as Stripe's do)


def new_api_token(inbox: Inbox) -> str:
    return f"{inbox.public_key}{TOKEN_SEPARATOR}{secrets.token_urlsafe(32)}"


def new_webhook_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Credentials:
    api_token: str
    webhook_secret: str
    webhook_url: str
    changed: bool  # something was generated or set just now


def api_channel_credentials_ensure(
    *, inbox_id: int, rotate: bool = False, webhook_url: str | None = None
) -> Credentials:
    """The API inbox's credentials, generating whichever is missing (all of them with `rotate`:
    the old token and secret stop working at once). `webhook_url`, when given, is stored too.
    Only these keys of the inbox's config change; the row is locked so an admin's edit to the
    rest of the config in the meantime is not lost. Raises Inbox.DoesNotExist for an inbox that is
    not an API channel."""
    with transaction.atomic():
        inbox = Inbox.objects.select_for_update().get(pk=inbox_id, channel_type=ChannelType.API)
        config = dict(inbox.config) if isinstance(inbox.config, dict) else {}
        before = dict(config)
        if rotate or not _text(config.get("api_token")):
            config["api_token"] = new_api_token(inbox)
        if rotate or not _text(config.get("webhook_secret")):
            config["webhook_secret"] = new_webhook_secret()
        if webhook_url is not None:
            config["webhook_url"] = webhook_url
        changed = config != before
        if changed:
            inbox.config = config
            inbox.save(update_fields=["config"])
    return Credentials(
        api_token=config["api_token"],
        webhook_secret=config["webhook_secret"],
        webhook_url=_text(config.get("webhook_url")),
        changed=changed,
    )


def inbox_for_token(token: str) -> Inbox | None:
    """The active API inbox whose token this is, or None."""
    shape = TOKEN_SHAPE.fullmatch(token)
    if shape is None:
        return None
    inbox = Inbox.objects.filter(
        public_key=shape["key"], channel_type=ChannelType.API, is_active=True
    ).first()
    if inbox is None:
        return None
    expected = _text((inbox.config if isinstance(inbox.config, dict) else {}).get("api_token"))
    return inbox if same_secret(token, expected) else None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
