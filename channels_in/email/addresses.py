"""The inbox's address and the reply address that routes an answer back to its conversation.

A reply address is the inbox's own with a tag after a plus: support+c42.k7Qz1x0b@acme.example.
The tag names the conversation and carries an HMAC of it (the project's SECRET_KEY), so a
customer who writes to it lands where the agent's mail came from, while a guessed or edited tag
is only an address of the inbox, never another customer's conversation. Mail servers deliver
plus-addressed mail to the base mailbox (Gmail, Microsoft 365, Dovecot and Postfix do).
"""

import hashlib
import hmac
import re

from django.conf import settings

from conversations.models import Inbox

TAG = re.compile(r"^c(\d{1,18})\.([A-Za-z0-9_-]{10})$")


def inbox_address(inbox: Inbox) -> str:
    """The address customers write to (Inbox.config["address"]), lower-cased; "" when unset."""
    return str((inbox.config or {}).get("address") or "").strip().lower()


def is_inbox_address(inbox: Inbox, address: str) -> bool:
    """`address` is the inbox's own, or one of its plus-tagged reply addresses."""
    local, _, domain = inbox_address(inbox).partition("@")
    name, _, at = address.lower().partition("@")
    return bool(local) and at == domain and name.partition("+")[0] == local


def reply_address(inbox: Inbox, conversation_id: int) -> str:
    local, _, domain = inbox_address(inbox).partition("@")
    return f"{local}+c{conversation_id}.{_signature(inbox, conversation_id)}@{domain}"


def conversation_in_addresses(inbox: Inbox, addresses: tuple[str, ...]) -> int | None:
    """The conversation a correctly signed reply address among `addresses` names, or None."""
    local, _, domain = inbox_address(inbox).partition("@")
    for address in addresses:
        name, _, at = address.lower().partition("@")
        base, plus, tag = name.partition("+")
        if not plus or base != local or at != domain:
            continue
        matched = TAG.match(tag)
        if matched and hmac.compare_digest(
            matched.group(2).lower(), _signature(inbox, int(matched.group(1)))
        ):
            return int(matched.group(1))
    return None


def _signature(inbox: Inbox, conversation_id: int) -> str:
    key = hashlib.sha256(f"parley-email-reply:{settings.SECRET_KEY}".encode()).digest()
    digest = hmac.new(key, f"{inbox.pk}:{conversation_id}".encode(), hashlib.sha256).hexdigest()
    return digest[:10]  # lower-case hex: addresses may come back lower-cased
