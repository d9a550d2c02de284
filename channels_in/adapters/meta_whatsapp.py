"""WhatsApp Cloud API (Graph): one phone number per inbox.

Inbound, signed with the app secret (fixtures/meta/whatsapp_text.json, shortened):
    {"object": "whatsapp_business_account", "entry": [{"id": "<waba id>", "changes": [{"field":
     "messages", "value": {"metadata": {"phone_number_id": "106540352242922"},
     "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
     "messages": [{"from": "16505551234", "id": "wamid.HBgL…", "timestamp": "1795103400",
                   "type": "text", "text": {"body": "Does it come in another color?"}}]}}]}]}
A delivery report has "statuses": [{"id": "wamid…", "status": "delivered", "recipient_id": …,
"biz_opaque_callback_data": "parley:<message pk>"}] instead, with "errors" when it failed.

Outbound: POST /{version}/{phone_number_id}/messages with the access token as Bearer, one file
per request (the text rides along as its caption). Templates: sync_templates and send_template.

Offered replies (Message.actions, at most 3) go as an interactive "button" message: the text is its
body (up to 1,024 characters; a longer text goes first as its own message, and the buttons come with
its last paragraphs), each reply a button titled in at most 20 characters with the reply's id. A tap
arrives as an "interactive" message whose button_reply names that id and whose context names the
tapped message (fixtures/meta/whatsapp_button_reply.json); Parley stores the reply's whole title.
A template's quick-reply button arrives as a "button" message with its text.

Inbox.config: phone_number_id, access_token, app_secret, verify_token, waba_id.
"""

import re
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from conversations.models import Attachment, ChannelType, Inbox, Message

from .base import (
    CannotTell,
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
)
from .buttons import buttons_for, drawn_actions, offered_title
from .content import (
    answer_json,
    from_unix,
    location_body,
    quoted_message,
    reaction_body,
    recipient,
    send_parts,
    unsupported_body,
    webhook_json,
)
from .errors import meta_error_in_words
from .meta import (
    CAPTION_LIMIT,
    bearer,
    graph,
    graph_path,
    graph_refusal,
    subscription_challenge,
    verify_signature,
)

STATUSES = frozenset({"sent", "delivered", "read", "failed"})
MEDIA_KINDS = {
    "image": "image/jpeg",
    "sticker": "image/webp",
    "audio": "audio/ogg",
    "video": "video/mp4",
    "document": "application/octet-stream",
}
UNSUPPORTED_KINDS = {
    "contacts": "a contact card",
    "order": "an order from the catalogue",
    "unsupported": "a kind of message WhatsApp does not pass on (a poll or view-once media, say)",
}
OUTBOUND_IMAGES = frozenset({"image/jpeg", "image/png"})
OUTBOUND_VIDEOS = frozenset({"video/mp4", "video/3gpp"})
CALLBACK_PREFIX = "parley:"
MEDIA_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,200}$")
MAX_TEMPLATE_PAGES = 50
BUTTON_BODY_LIMIT = 1024
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256

Content = tuple[str, tuple[InboundMedia, ...], bool]  # body, media, unsupported


class WhatsAppAdapter:
    slug: ClassVar[str] = "whatsapp"
    channel_types: ClassVar[tuple[str, ...]] = (ChannelType.WHATSAPP,)

    def verify(self, inbox: Inbox, request: WebhookRequest) -> None:
        verify_signature(inbox, request)

    def handshake(self, inbox: Inbox, request: WebhookRequest) -> str | None:
        return subscription_challenge(inbox, request)

    def answer(self, request: WebhookRequest) -> WebhookAnswer | None:
        return None

    def parse(self, inbox: Inbox, request: WebhookRequest) -> list[InboundEvent]:
        payload = webhook_json(request)
        if payload.get("object") != "whatsapp_business_account":
            return []
        own_number = str((inbox.config or {}).get("phone_number_id") or "")
        events: list[InboundEvent] = []
        for entry in payload.get("entry") or []:
            for change in entry.get("changes") or []:
                value = change.get("value") or {}
                number = str((value.get("metadata") or {}).get("phone_number_id") or "")
                if change.get("field") != "messages" or (own_number and number and number != own_number):
                    continue  # another of the app's numbers: its own inbox hears it
                names = {
                    str(contact.get("wa_id")): str((contact.get("profile") or {}).get("name") or "")
                    for contact in value.get("contacts") or []
                }
                events += [_inbound(inbox, message, names) for message in value.get("messages") or []]
                events += [status for status in map(_status, value.get("statuses") or []) if status]
        return events

    def send(self, message: Message) -> SendReceipt:
        """Text, or each file with the text as the first file's caption; offered replies as reply
        buttons under the text (_with_buttons). A message carrying a template choice (see
        send_template) goes as that template."""
        template = getattr(message, "template", None)
        if template:
            return self.send_template(
                message, template["name"], template["language"], template.get("parameters") or ()
            )
        inbox = message.conversation.inbox
        to = recipient(message)
        attachments = list(message.attachments.all())
        actions = drawn_actions(message)
        fits = bool(attachments) and not actions and len(message.body) <= CAPTION_LIMIT
        caption = message.body if fits else ""
        contents = [
            _media_content(attachment, caption if index == 0 else "")
            for index, attachment in enumerate(attachments)
        ]
        if actions and message.body:
            contents += _with_buttons(message.body, actions)
        elif message.body and not caption:
            contents.append(_text(message.body))
        return send_parts([partial(_post, inbox, message, to, content) for content in contents])

    def send_template(
        self, message: Message, name: str, language: str, parameters: Sequence[str] = ()
    ) -> SendReceipt:
        """An approved template, the only thing WhatsApp lets a business send outside the 24-hour
        window: `parameters` fill the body's {{1}}, {{2}}… in order."""
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if parameters:
            values = [{"type": "text", "text": str(value)} for value in parameters]
            template["components"] = [{"type": "body", "parameters": values}]
        content = {"type": "template", "template": template}
        return send_parts([partial(_post, message.conversation.inbox, message, recipient(message), content)])

    def find_accepted(self, message: Message, *, since: datetime) -> SendReceipt | None:
        raise CannotTell("The Cloud API cannot list the messages a number sent.")

    def fetch_media(self, inbox: Inbox, media: InboundMedia) -> FetchedMedia:
        """A media id resolves to a short-lived URL, which needs the token too."""
        if not MEDIA_ID.match(media.reference):
            raise PermanentDeliveryError("This is not a WhatsApp media id.", code="bad_media_id")
        token = config_value(inbox, "access_token")
        response = graph().request("GET", graph_path(media.reference), headers=bearer(token))
        if response.status_code != 200:
            raise graph_refusal(response)
        described = answer_json(response)
        url = str(described.get("url") or "")
        if not url:
            raise PermanentDeliveryError("WhatsApp gave no download link for this file.", code="no_media_url")
        download = ProviderClient(base_url="").request(
            "GET", url, headers=bearer(token), follow_redirects=True
        )
        if download.status_code != 200:
            raise graph_refusal(download)
        mime_type = str(described.get("mime_type") or download.headers.get("Content-Type") or media.mime_type)
        return FetchedMedia(download.content, mime_type, media.file_name)


def sync_templates(inbox: Inbox) -> list[dict[str, Any]]:
    """The business account's message templates, every page, each as
    {id, name, language, status, category, body, components} (body: the BODY component's text)."""
    token, waba_id = config_value(inbox, "access_token"), config_value(inbox, "waba_id")
    templates: list[dict[str, Any]] = []
    params = {"limit": "100", "fields": "id,name,language,status,category,components"}
    for _page in range(MAX_TEMPLATE_PAGES):
        response = graph().request(
            "GET", graph_path(f"{waba_id}/message_templates"), params=params, headers=bearer(token)
        )
        if response.status_code != 200:
            raise graph_refusal(response)
        answer = answer_json(response)
        templates += [_template(raw) for raw in answer.get("data") or [] if isinstance(raw, dict)]
        paging = answer.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        if not paging.get("next") or not after:
            break
        params = {**params, "after": str(after)}
    return templates


def _template(raw: dict[str, Any]) -> dict[str, Any]:
    components = [part for part in raw.get("components") or [] if isinstance(part, dict)]
    body = next((str(part.get("text") or "") for part in components if part.get("type") == "BODY"), "")
    return {
        "id": str(raw.get("id") or ""),
        "name": str(raw.get("name") or ""),
        "language": str(raw.get("language") or ""),
        "status": str(raw.get("status") or ""),
        "category": str(raw.get("category") or ""),
        "body": body or str(raw.get("body") or ""),
        "components": components,
    }


def _post(inbox: Inbox, message: Message, to: str, content: dict[str, Any]) -> str:
    """One Cloud API send; the id WhatsApp gave it. Our message id rides along and comes back in
    every status webhook, so a report that beats this answer still finds its message."""
    payload = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        **content,
        "biz_opaque_callback_data": f"{CALLBACK_PREFIX}{message.pk}",
    }
    path = graph_path(f"{config_value(inbox, 'phone_number_id')}/messages")
    response = graph().request(
        "POST", path, json=payload, headers=bearer(config_value(inbox, "access_token"))
    )
    if response.status_code != 200:
        raise graph_refusal(response)
    accepted = [m for m in answer_json(response).get("messages") or [] if isinstance(m, dict) and m.get("id")]
    if not accepted:
        raise TransientDeliveryError(
            "WhatsApp answered without the message's id.", code="no_message_id", ambiguous=True
        )
    return str(accepted[0]["id"])


def _text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body, "preview_url": True}}


def _with_buttons(body: str, actions: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The text with reply buttons: one interactive message, or, for a text longer than its body
    takes, the lead as a text message and the buttons under the rest."""
    lead, prompt = split_for_buttons(body, BUTTON_BODY_LIMIT)
    buttons = buttons_for(actions, id_bytes=BUTTON_ID_LIMIT, title_length=BUTTON_TITLE_LIMIT)
    interactive = {
        "type": "button",
        "body": {"text": prompt},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": button.id, "title": button.title}} for button in buttons
            ]
        },
    }
    return [*([_text(lead)] if lead else []), {"type": "interactive", "interactive": interactive}]


def split_for_buttons(text: str, limit: int) -> tuple[str, str]:
    """`text` as a lead and a prompt of at most `limit` characters: whole paragraphs where they
    fit, else whole lines, else whole words. Nothing is cut away: the two are sent one after the other."""
    if len(text) <= limit:
        return "", text
    start = len(text) - limit  # the earliest the prompt may begin
    for separator in ("\n\n", "\n", " "):
        at = text.find(separator, start)
        if at != -1 and text[at:].strip():
            return text[:at].rstrip(), text[at:].strip()
    return text[:start], text[start:]


def _media_content(attachment: Attachment, caption: str) -> dict[str, Any]:
    """A file by link: images and videos as such, audio without text as a voice/audio message,
    anything else (or audio with text, which audio cannot carry) as a document."""
    link = media_url(attachment)
    mime_type = attachment.mime_type
    if mime_type in OUTBOUND_IMAGES or mime_type in OUTBOUND_VIDEOS:
        kind = "image" if mime_type in OUTBOUND_IMAGES else "video"
        return {"type": kind, kind: {"link": link, **({"caption": caption} if caption else {})}}
    if mime_type.startswith("audio/") and not caption:
        return {"type": "audio", "audio": {"link": link}}
    document: dict[str, Any] = {"link": link, "filename": attachment.file_name or "file"}
    if caption:
        document["caption"] = caption
    return {"type": "document", "document": document}


def _inbound(inbox: Inbox, message: dict[str, Any], names: dict[str, str]) -> InboundMessage:
    wa_id = str(message["from"])
    body, media, unsupported = _content(inbox, message)
    return InboundMessage(
        provider_message_id=str(message["id"]),
        source_id=wa_id,
        body=body,
        media=media,
        contact_name=names.get(wa_id, ""),
        phone=f"+{wa_id}",
        unsupported=unsupported,
        sent_at=from_unix(message.get("timestamp")),
    )


def _content(inbox: Inbox, message: dict[str, Any]) -> Content:
    kind = str(message.get("type") or "")
    content = message.get(kind) if isinstance(message.get(kind), dict) else {}
    if kind == "text" and content.get("body"):
        return str(content["body"]), (), False
    if kind in MEDIA_KINDS and content.get("id"):
        media = InboundMedia(
            reference=str(content["id"]),
            mime_type=str(content.get("mime_type") or MEDIA_KINDS[kind]).split(";")[0].strip(),
            file_name=str(content.get("filename") or ""),
        )
        return str(content.get("caption") or ""), (media,), False
    if kind == "location":
        place = (str(content.get("name") or ""), str(content.get("address") or ""))
        return location_body(content.get("latitude"), content.get("longitude"), *place), (), False
    if kind == "reaction":
        quoted = quoted_message(inbox, str(content.get("message_id") or ""))
        return reaction_body(str(content.get("emoji") or ""), quoted), (), False
    if kind == "button" and content.get("text"):  # a template's quick-reply button
        return str(content["text"]), (), False
    if kind == "interactive":
        reply = content.get("button_reply") or content.get("list_reply") or {}
        if reply.get("title"):
            tapped = str((message.get("context") or {}).get("id") or "")
            picked = str(reply.get("id") or "")
            whole = offered_title(inbox, picked, provider_message_id=tapped) if tapped and picked else ""
            return whole or str(reply["title"]), (), False
    if kind == "system" and content.get("body"):  # e.g. "User A changed from … to …"
        return str(content["body"]), (), True
    if kind == "contacts":
        cards = message.get("contacts") or []
        people = ", ".join(_card(card) for card in cards if isinstance(card, dict))
        return unsupported_body("a contact card", people), (), True
    return unsupported_body(UNSUPPORTED_KINDS.get(kind, f"a {kind or 'kind of'} message")), (), True


def _card(card: dict[str, Any]) -> str:
    name = str((card.get("name") or {}).get("formatted_name") or "")
    phones = [str(phone.get("phone") or "") for phone in card.get("phones") or [] if isinstance(phone, dict)]
    return " ".join(part for part in (name, *phones[:1]) if part)


def _status(status: dict[str, Any]) -> StatusUpdate | None:
    state = str(status.get("status") or "")
    if state not in STATUSES or not status.get("id"):
        return None  # "deleted", "warning": nothing the agent's tick marks show
    reference = str(status.get("biz_opaque_callback_data") or "")
    reference = reference.removeprefix(CALLBACK_PREFIX) if reference.startswith(CALLBACK_PREFIX) else ""
    code, error = "", ""
    if state == "failed":
        errors = [error for error in status.get("errors") or [] if isinstance(error, dict)]
        first = errors[0] if errors else {}
        code = str(first.get("code") or "")
        details = str((first.get("error_data") or {}).get("details") or first.get("title") or "")
        error = meta_error_in_words(code, fallback=details) if code else details
        error = error or "WhatsApp could not deliver the message."
    return StatusUpdate(
        provider_message_id=str(status["id"]), status=state, error_code=code, error=error, reference=reference
    )
