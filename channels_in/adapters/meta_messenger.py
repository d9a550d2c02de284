"""Facebook Messenger and Instagram Direct, both through the Messenger Platform (Graph).

Inbound, signed with the app secret (fixtures/meta/messenger_text.json):
    {"object": "page", "entry": [{"id": "1122334455667788", "time": 1795103400123, "messaging": [
      {"sender": {"id": "6789012345678901"}, "recipient": {"id": "1122334455667788"},
       "timestamp": 1795103400000, "message": {"mid": "m_AG5H…", "text": "hello, is anyone there?"}}]}]}
Instagram's is the same with "object": "instagram" and the Instagram account's id. A messaging
event is a message (an echo of the page's own send has "is_echo": true and is left out), a
reaction, a postback, or a delivery or read report.

Read reports carry only a watermark: everything sent before it was read. Parley turns that into
one "read" report per message of ours to this customer sent up to the watermark and not yet read
(one indexed query), so replays and out-of-order reports stay harmless: the status only moves
forward. Instagram's read report names the message instead.

Offered replies (Message.actions) go as quick replies on the message's last part (text, title
shortened to 20 characters, payload the reply's id). A tap comes back as a text message whose
text is the title the button showed and whose quick_reply.payload is that id
(fixtures/meta/messenger_quick_reply.json); Parley stores the reply's whole title as its body.

Outbound: POST /{version}/me/messages with the page access token. Within 24 hours of the
customer's last message a reply is a RESPONSE; from 24 hours to 7 days only a reply an agent
wrote may go, tagged HUMAN_AGENT; anything else is refused before Meta is called.

Who a customer is (their name and picture) is asked of Graph by meta_profiles.py.

Inbox.config: page_id, page_access_token, app_secret, verify_token; for Instagram also
instagram_account_id (optional: webhooks for another account are then left out).
"""

import mimetypes
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.utils import timezone

from conversations.capabilities import capabilities_of
from conversations.models import Attachment, ChannelType, Inbox, Message

from .base import (
    CannotTell,
    CustomerProfile,
    FetchedMedia,
    InboundEvent,
    InboundMedia,
    InboundMessage,
    PermanentDeliveryError,
    ProviderClient,
    SendReceipt,
    StatusUpdate,
    TransientDeliveryError,
    WebhookAnswer,
    WebhookRequest,
    config_value,
    media_url,
    transient_for_status,
)
from .buttons import buttons_for, drawn_actions, offered_title
from .content import (
    answer_json,
    location_body,
    quoted_message,
    reaction_body,
    recipient,
    send_parts,
    unsupported_body,
    webhook_json,
)
from .meta import bearer, graph, graph_path, graph_refusal, subscription_challenge, verify_signature
from .meta_profiles import instagram_profile, messenger_profile

HUMAN_AGENT_WINDOW = timedelta(days=7)
MEDIA_KINDS = {
    "image": "image/jpeg",
    "video": "video/mp4",
    "audio": "audio/mpeg",
    "file": "application/octet-stream",
}
SHARED_KINDS = {
    "fallback": "a link",
    "share": "a post",
    "ig_reel": "a reel",
    "reel": "a reel",
    "story_mention": "a story that mentions you",
}
WATERMARK_BATCH = 100
QUICK_REPLY_TITLE = 20  # characters a quick reply shows
QUICK_REPLY_PAYLOAD = 1000
Status = Message.DeliveryStatus
# What a report moves forward from: a watermark never touches a failed or already later message.
BEFORE = {Status.DELIVERED: (Status.SENT,), Status.READ: (Status.SENT, Status.DELIVERED)}


class MessengerAdapter:
    slug: ClassVar[str] = "messenger"
    channel_types: ClassVar[tuple[str, ...]] = (ChannelType.MESSENGER,)
    webhook_object: ClassVar[str] = "page"
    channel_name: ClassVar[str] = "Messenger"
    account_setting: ClassVar[str] = "page_id"  # the entry id a webhook for this inbox carries

    def verify(self, inbox: Inbox, request: WebhookRequest) -> None:
        verify_signature(inbox, request)

    def handshake(self, inbox: Inbox, request: WebhookRequest) -> str | None:
        return subscription_challenge(inbox, request)

    def answer(self, request: WebhookRequest) -> WebhookAnswer | None:
        return None

    def parse(self, inbox: Inbox, request: WebhookRequest) -> list[InboundEvent]:
        payload = webhook_json(request)
        if payload.get("object") != self.webhook_object:
            return []
        account = str((inbox.config or {}).get(self.account_setting) or "")
        events: list[InboundEvent] = []
        for entry in payload.get("entry") or []:
            if account and str(entry.get("id")) != account:
                continue  # another page of the same app: its own inbox hears it
            for event in entry.get("messaging") or []:
                if isinstance(event, dict):
                    events += self._events(inbox, event)
        return events

    def _events(self, inbox: Inbox, event: dict[str, Any]) -> list[InboundEvent]:
        customer = str((event.get("sender") or {}).get("id") or "")
        if isinstance(event.get("message"), dict):
            message = event["message"]
            if message.get("is_echo") or message.get("is_deleted") or not message.get("mid"):
                return []  # our own send (or the page's, from Meta's inbox), or an unsent message
            return [self._inbound(inbox, customer, event, message)]
        if isinstance(event.get("reaction"), dict):
            return [self._reaction(inbox, customer, event)]
        if isinstance(event.get("postback"), dict) and event["postback"].get("title"):
            postback = event["postback"]
            provider_id = str(postback.get("mid") or f"postback:{customer}:{event.get('timestamp')}")
            return [self._message(provider_id, customer, event, body=str(postback["title"]))]
        for report, status in (("delivery", Status.DELIVERED), ("read", Status.READ)):
            if isinstance(event.get(report), dict):
                return _reports(inbox, customer, event[report], status)
        return []

    def _inbound(
        self, inbox: Inbox, customer: str, event: dict[str, Any], message: dict[str, Any]
    ) -> InboundMessage:
        text = str(message.get("text") or "")
        lines = [_tapped_title(inbox, customer, message) or text] if text else []
        media: list[InboundMedia] = []
        unsupported: list[str] = []
        for attachment in message.get("attachments") or []:
            kind = str(attachment.get("type") or "")
            payload = attachment.get("payload") or {}
            url = str(payload.get("url") or "")
            if kind in MEDIA_KINDS and url:
                media.append(InboundMedia(reference=url, mime_type=_mime_type(url, kind)))
            elif kind == "location" and payload.get("coordinates"):
                point = payload["coordinates"]
                lines.append(
                    location_body(point.get("lat"), point.get("long"), str(attachment.get("title") or ""))
                )
            elif url:
                lines.append(f"Shared {SHARED_KINDS.get(kind, 'a link')}: {url}")
            else:
                unsupported.append(f"a {kind or 'kind of'} attachment")
        body = "\n".join(lines)
        if not body and not media:
            kind = unsupported[0] if unsupported else "a kind of message"
            return self._message(
                str(message["mid"]), customer, event, body=unsupported_body(kind), unsupported=True
            )
        return self._message(str(message["mid"]), customer, event, body=body, media=tuple(media))

    def _reaction(self, inbox: Inbox, customer: str, event: dict[str, Any]) -> InboundMessage:
        """A reaction has no id of its own: the reacted message's id and the time make one."""
        reaction = event["reaction"]
        reacted = str(reaction.get("mid") or "")
        emoji = (
            ""
            if reaction.get("action") == "unreact"
            else str(reaction.get("emoji") or reaction.get("reaction") or "")
        )
        provider_id = f"{reacted}:reaction:{event.get('timestamp')}"
        return self._message(
            provider_id, customer, event, body=reaction_body(emoji, quoted_message(inbox, reacted))
        )

    def _message(
        self, provider_id: str, customer: str, event: dict[str, Any], **content: Any
    ) -> InboundMessage:
        return InboundMessage(
            provider_message_id=provider_id,
            source_id=customer,
            sent_at=_from_millis(event.get("timestamp")),
            **content,
        )

    def send(self, message: Message) -> SendReceipt:
        """Each file, then the text: Messenger takes them as separate messages."""
        inbox = message.conversation.inbox
        token = config_value(inbox, "page_access_token")
        envelope = {"recipient": {"id": recipient(message)}, **self._messaging_type(message)}
        contents: list[dict[str, Any]] = [
            {"attachment": _attachment(attachment)} for attachment in message.attachments.all()
        ]
        if message.body:
            contents.append({"text": message.body})
        actions = drawn_actions(message)
        if actions and contents:  # on the last part: the one whose id Parley keeps
            contents[-1] = {**contents[-1], "quick_replies": _quick_replies(actions)}
        return send_parts([partial(_post, token, {**envelope, "message": content}) for content in contents])

    def _messaging_type(self, message: Message) -> dict[str, str]:
        """RESPONSE inside the window; HUMAN_AGENT for an agent's own reply up to 7 days; else
        refused here, before any call (an automatic message past the window never goes)."""
        conversation = message.conversation
        allowed = capabilities_of(conversation.inbox.channel_type)
        window = allowed.reply_window or timedelta(hours=24)
        human_window = getattr(allowed, "human_agent_window", None) or HUMAN_AGENT_WINDOW
        last_heard = (
            Message.objects.filter(conversation=conversation, sender_kind=Message.SenderKind.CONTACT)
            .order_by("-seq")
            .values_list("created_at", flat=True)
            .first()
        )
        now = timezone.now()
        if last_heard is not None and now < last_heard + window:
            return {"messaging_type": "RESPONSE"}
        if last_heard is None or now >= last_heard + human_window:
            raise PermanentDeliveryError(
                f"The customer last wrote more than {human_window.days} days ago (or never): "
                f"{self.channel_name} lets you reply only after they write again.",
                code="outside_window",
            )
        if message.sender_kind != Message.SenderKind.AGENT:
            raise PermanentDeliveryError(
                f"The customer last wrote more than {int(window.total_seconds() // 3600)} hours ago: "
                f"{self.channel_name} now only takes a reply an agent writes (up to {human_window.days} "
                "days), not an automatic message.",
                code="outside_window",
            )
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}

    def find_accepted(self, message: Message, *, since: datetime) -> SendReceipt | None:
        raise CannotTell(f"{self.channel_name} cannot list the messages a page sent.")

    def fetch_media(self, inbox: Inbox, media: InboundMedia) -> FetchedMedia:
        """The URL is a signed CDN link from the (verified) webhook: no token needed."""
        if urlsplit(media.reference).scheme != "https" and not media.reference.startswith(graph().base_url):
            raise PermanentDeliveryError("This is not a link to a file at Meta.", code="bad_media_url")
        response = ProviderClient(base_url="").request("GET", media.reference, follow_redirects=True)
        if response.status_code == 429 or response.status_code >= 500:
            raise transient_for_status(
                response, f"{self.channel_name} answered {response.status_code} for the file."
            )
        if response.status_code != 200:
            raise PermanentDeliveryError(
                f"{self.channel_name} no longer has this file (it answered {response.status_code}).",
                code=str(response.status_code),
            )
        mime_type = response.headers.get("Content-Type", media.mime_type).split(";")[0].strip()
        return FetchedMedia(response.content, mime_type, media.file_name)

    def fetch_profile(self, inbox: Inbox, source_id: str) -> CustomerProfile:
        return messenger_profile(inbox, source_id)


class InstagramAdapter(MessengerAdapter):
    slug: ClassVar[str] = "instagram"
    channel_types: ClassVar[tuple[str, ...]] = (ChannelType.INSTAGRAM,)
    webhook_object: ClassVar[str] = "instagram"
    channel_name: ClassVar[str] = "Instagram"
    account_setting: ClassVar[str] = "instagram_account_id"

    def fetch_profile(self, inbox: Inbox, source_id: str) -> CustomerProfile:
        return instagram_profile(inbox, source_id)


def _post(token: str, payload: dict[str, Any]) -> str:
    response = graph().request("POST", graph_path("me/messages"), json=payload, headers=bearer(token))
    if response.status_code != 200:
        raise graph_refusal(response)
    message_id = answer_json(response).get("message_id")
    if not message_id:
        raise TransientDeliveryError(
            "Meta answered without the message's id.", code="no_message_id", ambiguous=True
        )
    return str(message_id)


def _quick_replies(actions: list[dict[str, str]]) -> list[dict[str, str]]:
    buttons = buttons_for(actions, id_bytes=QUICK_REPLY_PAYLOAD, title_length=QUICK_REPLY_TITLE)
    return [{"content_type": "text", "title": button.title, "payload": button.id} for button in buttons]


def _tapped_title(inbox: Inbox, customer: str, message: dict[str, Any]) -> str:
    """A tapped quick reply's whole title ('' for a typed message, or a quick reply Parley did not
    offer, such as Meta's own e-mail and phone ones: their text is what the customer sent)."""
    quick_reply = message.get("quick_reply")
    picked = str(quick_reply.get("payload") or "") if isinstance(quick_reply, dict) else ""
    return offered_title(inbox, picked, customer=customer) if picked else ""


def _attachment(attachment: Attachment) -> dict[str, Any]:
    major = attachment.mime_type.split("/")[0]
    kind = major if major in ("image", "video", "audio") else "file"
    return {"type": kind, "payload": {"url": media_url(attachment), "is_reusable": False}}


def _reports(inbox: Inbox, customer: str, report: dict[str, Any], status: str) -> list[InboundEvent]:
    """Delivery or read: by message id where Meta names them, else everything of ours to this
    customer up to the watermark that has not got that far yet."""
    mids = [str(mid) for mid in report.get("mids") or [] if mid]
    if report.get("mid"):
        mids.append(str(report["mid"]))
    if not mids and report.get("watermark"):
        mids = _sent_up_to(inbox, customer, report["watermark"], status)
    return [StatusUpdate(provider_message_id=mid, status=status) for mid in mids]


def _sent_up_to(inbox: Inbox, customer: str, watermark: object, status: str) -> list[str]:
    up_to = _from_millis(watermark)
    if up_to is None:
        return []
    return list(
        Message.objects.filter(
            inbox=inbox,
            conversation__contact__identities__inbox=inbox,
            conversation__contact__identities__source_id=customer,
            provider_message_id__isnull=False,
            delivery_status__in=BEFORE[status],
            created_at__lte=up_to,
        )
        .exclude(sender_kind=Message.SenderKind.CONTACT)
        .order_by("-created_at")
        .values_list("provider_message_id", flat=True)[:WATERMARK_BATCH]
    )


def _mime_type(url: str, kind: str) -> str:
    guessed, _ = mimetypes.guess_type(urlsplit(url).path)
    if guessed and (kind == "file" or guessed.split("/")[0] == kind):
        return guessed
    return MEDIA_KINDS[kind]


def _from_millis(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):  # OSError: beyond the platform's time_t
        return None
