"""The one interface every provider adapter implements, and the normalised events it produces.

An adapter turns a provider's webhook into `InboundMessage` and `StatusUpdate` events (after
verifying it exactly as the provider signs it), and hands one outbound message to the provider,
raising the core's TransientDeliveryError or PermanentDeliveryError when it refuses. Everything
provider-shaped stays in the adapter's module; the rest of Parley sees only these dataclasses.
"""

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx
from django.conf import settings

from conversations.models import Inbox, Message
from conversations.registry import CannotTell, PermanentDeliveryError, SendReceipt, TransientDeliveryError

__all__ = [
    "CannotTell",
    "ChannelAdapter",
    "CustomerProfile",
    "InboundEvent",
    "InboundMail",
    "InboundMedia",
    "InboundMessage",
    "PermanentDeliveryError",
    "ProfileSource",
    "SendReceipt",
    "SignatureMismatch",
    "StatusUpdate",
    "TransientDeliveryError",
    "WebhookRequest",
]


MAX_ID_LENGTH = 255  # Message.provider_message_id, ContactIdentity.source_id


class SignatureMismatch(Exception):
    """The webhook is not from the provider: answer 403 and store nothing."""


@dataclass(frozen=True)
class WebhookAnswer:
    """What a stored webhook's 200 carries, when the provider reads it: Telegram runs a Bot API
    call named in it."""

    body: str
    content_type: str


@dataclass(frozen=True)
class WebhookRequest:
    """A webhook as it arrived, with the URL the provider signed (PUBLIC_URL's, behind a proxy)."""

    method: str
    urls: tuple[str, ...]  # the URL the provider saw; more than one when a proxy leaves it unclear
    headers: Mapping[str, str]  # case-insensitive (Django's HttpHeaders)
    body: bytes
    query: Mapping[str, str]
    form: tuple[tuple[str, str], ...] = ()  # an urlencoded body, every pair in order

    def form_value(self, name: str, default: str = "") -> str:
        return next((value for key, value in self.form if key == name), default)


@dataclass(frozen=True)
class InboundMedia:
    """A file the customer sent, still at the provider: `reference` is a URL or the provider's
    media id, which the adapter's fetch_media turns into bytes."""

    reference: str
    mime_type: str = "application/octet-stream"
    file_name: str = ""


@dataclass(frozen=True)
class InboundMessage:
    provider_message_id: str
    source_id: str  # the customer on this channel: phone number, WhatsApp id, page-scoped id, chat id
    body: str = ""
    media: tuple[InboundMedia, ...] = ()
    contact_name: str = ""
    phone: str = ""
    unsupported: bool = False  # `body` explains what arrived that Parley cannot show
    sent_at: datetime | None = None

    def __post_init__(self) -> None:
        _ids_fit(provider_message_id=self.provider_message_id, source_id=self.source_id)

    @property
    def key(self) -> str:
        return f"message:{self.provider_message_id}"


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery report about a message Parley sent: sent, delivered, read or failed."""

    provider_message_id: str
    status: str
    error_code: str = ""
    error: str = ""
    reference: str = ""  # our own message id, where the provider echoes one back

    def __post_init__(self) -> None:
        _ids_fit(provider_message_id=self.provider_message_id)

    @property
    def key(self) -> str:
        return f"status:{self.provider_message_id}:{self.status}"


def _ids_fit(**ids: str) -> None:
    """A provider's ids fit the columns that keep them (255 characters): a longer one is no id the
    provider documents, and the webhook is refused whole (400) rather than failing at the INSERT."""
    for name, value in ids.items():
        if len(value) > MAX_ID_LENGTH:
            raise ValueError(f"{name} is longer than {MAX_ID_LENGTH} characters")


@dataclass(frozen=True)
class InboundMail:
    """A mail for an email inbox, its bytes kept in storage at `path` (a mail is too big and too
    binary for the receipt's JSON): applied by channels_in/email/receiving.py."""

    mail_id: str  # its Message-ID, or a hash of its bytes when it has none
    path: str
    source: str  # "imap" or the inbound webhook's provider

    def __post_init__(self) -> None:
        _ids_fit(mail_id=self.mail_id)

    @property
    def key(self) -> str:
        return f"mail:{self.mail_id}"


InboundEvent = InboundMessage | StatusUpdate | InboundMail
EVENT_KINDS: dict[str, type[InboundMessage] | type[StatusUpdate] | type[InboundMail]] = {
    "message": InboundMessage,
    "status": StatusUpdate,
    "mail": InboundMail,
}


def event_to_json(event: InboundEvent) -> dict[str, Any]:
    kind = next(name for name, kind in EVENT_KINDS.items() if isinstance(event, kind))
    fields = asdict(event)
    if isinstance(event, InboundMessage) and event.sent_at is not None:
        fields["sent_at"] = event.sent_at.isoformat()
    return {"kind": kind, **fields}


def event_from_json(stored: Mapping[str, Any]) -> InboundEvent:
    fields = dict(stored)
    kind = EVENT_KINDS[fields.pop("kind")]
    if kind is InboundMessage:
        fields["media"] = tuple(InboundMedia(**media) for media in fields.get("media", ()))
        if fields.get("sent_at"):
            fields["sent_at"] = datetime.fromisoformat(fields["sent_at"])
    return kind(**fields)


@dataclass(frozen=True)
class FetchedMedia:
    content: bytes
    mime_type: str
    file_name: str = ""


class ChannelAdapter(Protocol):
    """One per provider. `slug` names it in webhook URLs: /hooks/<slug>/<inbox key>/."""

    slug: ClassVar[str]
    channel_types: ClassVar[tuple[str, ...]]

    def verify(self, inbox: Inbox, request: WebhookRequest) -> None:
        """Raise SignatureMismatch unless the provider signed `request` with `inbox`'s secret."""
        ...

    def handshake(self, inbox: Inbox, request: WebhookRequest) -> str | None:
        """A GET the provider sends when the webhook is configured: the text to answer, or None."""
        ...

    def parse(self, inbox: Inbox, request: WebhookRequest) -> Sequence[InboundEvent]:
        """The verified webhook's events; echoes of Parley's own sends are left out."""
        ...

    def answer(self, request: WebhookRequest) -> WebhookAnswer | None:
        """What the 200 says once the webhook's events are stored; None for an empty body."""
        ...

    def send(self, message: Message) -> SendReceipt: ...

    def find_accepted(self, message: Message, *, since: datetime) -> SendReceipt | None: ...

    def fetch_media(self, inbox: Inbox, media: InboundMedia) -> FetchedMedia: ...


@dataclass(frozen=True)
class CustomerProfile:
    """What a provider tells about a customer it knows only by id ("" for what it does not say)."""

    name: str = ""
    avatar_url: str = ""


@runtime_checkable
class ProfileSource(Protocol):
    """An adapter whose provider can be asked who a customer is (Messenger, Instagram): their
    webhooks name nobody, only a page-scoped id."""

    def fetch_profile(self, inbox: Inbox, source_id: str) -> CustomerProfile:
        """Raise PermanentDeliveryError when the provider refuses (no permission, a deleted
        user), TransientDeliveryError when it may answer later."""
        ...


def same_secret(given: str | bytes, expected: str | bytes) -> bool:
    """Constant-time comparison; an empty expected secret never matches (an unconfigured inbox)."""
    given_bytes = given.encode() if isinstance(given, str) else given
    expected_bytes = expected.encode() if isinstance(expected, str) else expected
    return bool(expected_bytes) and hmac.compare_digest(given_bytes, expected_bytes)


def config_value(inbox: Inbox, name: str) -> str:
    """A setting of the inbox's channel (Inbox.config); a missing one fails the send for good,
    in words the admin can act on."""
    value = str((inbox.config or {}).get(name) or "")
    if not value:
        raise PermanentDeliveryError(
            f"The inbox “{inbox.name}” has no {name} configured (Admin → Inboxes → Config).",
            code="not_configured",
        )
    return value


@dataclass
class ProviderClient:
    """HTTP to one provider API. Network failures become delivery errors, and a lost answer is
    flagged ambiguous: the request may have been accepted, so the next try asks first."""

    base_url: str
    timeout: float = field(default_factory=lambda: settings.PARLEY_PROVIDER_TIMEOUT_SECONDS)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return _client().request(method, self.base_url.rstrip("/") + path, timeout=self.timeout, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise TransientDeliveryError(
                f"Could not reach the provider: {error}", code="unreachable"
            ) from error
        except httpx.TransportError as error:  # read/write timeout, reset: it may have arrived
            raise TransientDeliveryError(
                f"No answer from the provider: {error or type(error).__name__}",
                code="no_answer",
                ambiguous=True,
            ) from error


_shared_client: httpx.Client | None = None


def _client() -> httpx.Client:
    """One connection pool per process (Celery prefork children each make their own)."""
    global _shared_client
    if _shared_client is None:
        _shared_client = httpx.Client(headers={"User-Agent": "Parley"}, follow_redirects=False)
    return _shared_client


def retry_after_seconds(response: httpx.Response, default: float | None = None) -> float | None:
    raw = response.headers.get("Retry-After", "")
    try:
        return float(raw)
    except ValueError:
        return default


def transient_for_status(response: httpx.Response, reason: str, code: str = "") -> TransientDeliveryError:
    """A 429 or a 5xx: worth another try, after the provider's Retry-After when it sends one."""
    return TransientDeliveryError(
        reason, code=code or str(response.status_code), retry_after=retry_after_seconds(response)
    )


def media_url(attachment: Any) -> str:
    """A stored attachment as the provider fetches it: an absolute URL under PUBLIC_URL."""
    if attachment.file:
        return settings.PUBLIC_URL + attachment.file.url
    return attachment.remote_url
