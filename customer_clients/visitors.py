"""Who a widget or app client is: signed visitor tokens and the business's identity verification.

Two tokens, both signed with SECRET_KEY (django.core.signing) and bound to one inbox, one visitor
identity and the contact it belongs to:
- the *resume* token is long-lived and kept by the client (localStorage, the app's keychain); it
  only travels in request bodies, never in a URL;
- the *connect* token lives CONNECT_TOKEN_SECONDS and is what goes in the websocket URL, where it
  may end up in access logs.
A token is honoured only while its identity still belongs to the contact it names, and that
contact is still the same user: once a visitor is linked to another contact, older tokens stop.
"""

import hashlib
import hmac
import uuid
from dataclasses import dataclass

from django.core import signing

from conversations.models import Contact, ContactIdentity, Inbox
from conversations.refusals import Refused
from conversations.services import (
    contact_identify,
    contact_note_visitor_context,
    contact_update_details,
    contact_verify_external_id,
)
from conversations.settings_rows import active_inbox

CONNECT_TOKEN_SECONDS = 120
RESUME_TOKEN_SECONDS = 365 * 24 * 3600
RESUME_SALT = "parley.visitor.resume.v1"
CONNECT_SALT = "parley.visitor.connect.v1"


@dataclass(frozen=True)
class Visitor:
    inbox_id: int
    contact_id: int
    identity_id: int
    external_id: str

    def claims(self) -> dict:
        # The user id itself stays out: connect tokens travel in URLs, which access logs keep.
        user = hashlib.sha256(self.external_id.encode()).hexdigest()[:16] if self.external_id else ""
        return {"i": self.inbox_id, "c": self.contact_id, "d": self.identity_id, "u": user}


@dataclass(frozen=True)
class VisitorSession:
    visitor: Visitor
    resume_token: str
    connect_token: str
    contact: Contact  # with what the visitor said about themselves applied


def new_visitor_source_id() -> str:
    return f"visitor:{uuid.uuid4().hex}"


def identity_hash(inbox: Inbox, external_id: str) -> str:
    """What the business's server computes for a logged-in user: HMAC-SHA256(secret, user id), hex."""
    return hmac.new(inbox.identity_secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()


def visitor_session_open(
    *,
    inbox: Inbox,
    resume_token: str = "",
    external_id: str = "",
    external_id_hash: str = "",
    name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "",
    context: object = None,
    place: tuple[str, str] = ("", ""),
) -> VisitorSession:
    """Resume the visitor of `resume_token` (or start a new one) and, with a verified user id, link
    them to that user's contact; apply the name, email, phone and browser language they gave
    (contact_update_details), and note what the widget knows of them: the client's `context` and
    the (city, country) `place` their request came from (contact_note_visitor_context, which drops
    what is not valid).
    Returns fresh tokens; raises Refused with the reason, ValidationError for a bad email or
    phone number."""
    _check_identity_proof(inbox, external_id, external_id_hash)
    identity = _resumed_identity(inbox, resume_token) if resume_token else None
    if identity is None:
        contact = contact_identify(inbox=inbox, source_id=new_visitor_source_id(), name=name, email=email)
        identity = ContactIdentity.objects.select_related("contact").get(contact=contact, inbox=inbox)
    if external_id:
        identity = contact_verify_external_id(
            identity=identity,
            external_id=external_id,
            new_source_id=new_visitor_source_id(),
            name=name,
            email=email,
        )
    visitor = _visitor_of(identity)
    contact = contact_update_details(
        contact=identity.contact, name=name, email=email, phone=phone, language=language
    )
    city, country = place
    return VisitorSession(
        visitor=visitor,
        resume_token=signing.dumps(visitor.claims(), salt=RESUME_SALT),
        connect_token=signing.dumps(visitor.claims(), salt=CONNECT_SALT),
        contact=contact_note_visitor_context(contact=contact, given=context, city=city, country=country),
    )


def connected_visitor(token: str) -> tuple[Visitor, ContactIdentity]:
    """The visitor a websocket may serve, checked against the database as of now, and their
    identity with its contact and inbox: one read (a socket read it twice, a tenth of a
    reconnect's CPU in `bench realtime`'s storm)."""
    claims = _load(token, salt=CONNECT_SALT, max_age=CONNECT_TOKEN_SECONDS)
    identity = _live_identity(claims.get("d"))
    visitor = _visitor_of(identity)
    if visitor.claims() != claims:
        raise Refused("identity_changed", "This visitor's identity changed; open a new session.")
    return visitor, identity


def current_identity(visitor: Visitor) -> ContactIdentity:
    """The visitor's identity, with its contact and inbox, as long as it still is this visitor:
    one query that both re-checks a socket's visitor and loads what an action needs."""
    identity = _live_identity(visitor.identity_id)
    if _visitor_of(identity) != visitor:
        raise Refused("identity_changed", "This visitor's identity changed; open a new session.")
    return identity


def _live_identity(identity_id: object) -> ContactIdentity:
    if not isinstance(identity_id, int):
        raise Refused("token_invalid", "The token is not valid.")
    identity = ContactIdentity.objects.select_related("contact").filter(pk=identity_id).first()
    inbox = active_inbox(identity.inbox_id) if identity is not None else None
    if inbox is None:
        raise Refused("token_invalid", "This visitor no longer exists.")
    identity.inbox = inbox
    return identity


def _check_identity_proof(inbox: Inbox, external_id: str, external_id_hash: str) -> None:
    if not external_id:
        if inbox.require_identity:
            raise Refused("identity_required", "This inbox only talks to identified users.")
        return
    if not hmac.compare_digest(identity_hash(inbox, external_id), external_id_hash.strip().lower()):
        raise Refused("identity_invalid", "The user id's HMAC does not match this inbox's secret.")


def identity_from_resume_token(inbox: Inbox, resume_token: str) -> ContactIdentity:
    """The visitor a resume token names, for a request that acts as them (an upload)."""
    identity = _resumed_identity(inbox, resume_token) if resume_token else None
    if identity is None:
        raise Refused("token_invalid", "The token is not valid; open a new session.")
    return identity


def _resumed_identity(inbox: Inbox, resume_token: str) -> ContactIdentity | None:
    """The identity of a still-valid resume token for this inbox; None starts a new visitor."""
    try:
        claims = _load(resume_token, salt=RESUME_SALT, max_age=RESUME_TOKEN_SECONDS)
    except Refused:
        return None
    identity = (
        ContactIdentity.objects.select_related("contact").filter(pk=claims.get("d"), inbox=inbox).first()
    )
    if identity is None or _visitor_of(identity).claims() != claims:
        return None
    return identity


def _visitor_of(identity: ContactIdentity) -> Visitor:
    return Visitor(
        inbox_id=identity.inbox_id,
        contact_id=identity.contact_id,
        identity_id=identity.pk,
        external_id=identity.contact.external_id,
    )


def _load(token: str, *, salt: str, max_age: int) -> dict:
    try:
        claims = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as error:
        raise Refused("token_expired", "The token has expired; open a new session.") from error
    except signing.BadSignature as error:
        raise Refused("token_invalid", "The token is not valid.") from error
    if not isinstance(claims, dict):
        raise Refused("token_invalid", "The token is not valid.")
    return claims
