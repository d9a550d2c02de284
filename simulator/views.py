"""/simulator/: play an SMS, WhatsApp, Messenger, Telegram or email customer in `make run`'s demo.

A customer's message becomes the provider's real webhook, signed with the inbox's secret and
POSTed to Parley's own /hooks/… over HTTP, so verification, receipts and routing all run as in
production (a mail: Mailgun's forward, simulator/email_customer.py). Agents' replies are what the
fake provider accepted for that customer, or the mails the simulator's SMTP server took. Served only
while the simulator runs (simulator_runtime); no login, because the visitor plays customers.
"""

from __future__ import annotations

import logging
import re
import time
from email import policy
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_GET, require_POST

from conversations.models import ChannelType, Inbox

from . import email_customer
from . import runtime as simulator_runtime
from .channels import (
    CHANNELS,
    Customer,
    Webhook,
    customer_problem,
    customer_profile,
    customer_webhooks,
    receipt_webhooks,
    sends_to,
    tap_webhook,
)
from .fake_provider.webhooks import post_signed
from .runtime import Simulator

logger = logging.getLogger(__name__)
PHOTO = "simulator/parcel.png"
MAX_TEXT = 4096
_SEPARATORS = re.compile(r"[\s\-().]")
SIMULATED = [*CHANNELS, ChannelType.EMAIL]


@require_GET
def page(request: HttpRequest) -> HttpResponse:
    _running()
    inboxes = [_inbox_choice(inbox) for inbox in _simulated_inboxes()]
    return render(request, "simulator/page.html", {"inboxes": inboxes})


@require_POST
def send(request: HttpRequest) -> JsonResponse:
    """The customer sends a message: {inbox, customer, name, text, photo} -> {message} (200), or
    {error} (400 for what no provider would send, 502 when Parley refused the webhook)."""
    simulator = _running()
    inbox = _simulated_inbox(request.POST.get("inbox", ""))
    if inbox.channel_type == ChannelType.EMAIL:
        return _send_mail(simulator, inbox, request)
    customer = _customer(request.POST.get("customer", ""), request.POST.get("name", ""))
    text, with_photo = request.POST.get("text", "").strip(), request.POST.get("photo") == "1"
    problem = customer_problem(CHANNELS[inbox.channel_type], customer)
    if not problem and not text and not with_photo:
        problem = "Type a message or add the photo."
    if len(text) > MAX_TEXT:
        problem = f"A message is at most {MAX_TEXT} characters here."
    if problem:
        return JsonResponse({"error": problem}, status=400)
    photo = None
    if with_photo:
        photo = simulator.provider.add_media(f"simulator-{simulator.next_id()}", _photo(), "image/png")
    if profile := customer_profile(inbox, customer):
        simulator.provider.add_profile(customer.id, **profile)
    hooks = customer_webhooks(inbox, customer, text, photo, simulator.next_id)
    refusal = next((refused for hook in hooks if (refused := _post(simulator, inbox, hook))), "")
    message = _record(simulator, inbox, customer, text, refusal, photo=static(PHOTO) if photo else "")
    return JsonResponse({"message": message}, status=502 if refusal else 200)


def _send_mail(simulator: Simulator, inbox: Inbox, request: HttpRequest) -> JsonResponse:
    """The email customer writes: a new mail, or the answer to the last reply they received."""
    customer = Customer(
        id=request.POST.get("customer", "").strip().lower(), name=request.POST.get("name", "").strip()
    )
    subject, text = request.POST.get("subject", "").strip(), request.POST.get("text", "").strip()
    problem = email_customer.customer_problem(customer.id, customer.name, subject)
    if not problem and not text:
        problem = "Write the mail's text."
    if len(text) > MAX_TEXT:
        problem = f"A mail is at most {MAX_TEXT} characters here."
    if problem:
        return JsonResponse({"error": problem}, status=400)
    answering = (email_customer.replies_to(simulator.mail_server, customer.id) or [None])[-1]
    mail = email_customer.customer_mail(inbox, customer.id, customer.name, subject, text, answering)
    refusal = email_customer.forward(simulator.parley_url, inbox, mail.as_bytes(policy=policy.SMTP))
    message = _record(simulator, inbox, customer, text, refusal, subject=str(mail["Subject"]))
    return JsonResponse({"message": message}, status=502 if refusal else 200)


@require_POST
def tap(request: HttpRequest) -> JsonResponse:
    """The customer taps a button under a reply: {inbox, customer, name, reply, button} ->
    {message} (200), or {error} (400 when that reply shows no such button, 502 when Parley refused
    the webhook)."""
    simulator = _running()
    inbox = _simulated_inbox(request.POST.get("inbox", ""))
    if inbox.channel_type not in CHANNELS:
        return JsonResponse({"error": "A mail shows no buttons to tap."}, status=400)
    customer = _customer(request.POST.get("customer", ""), request.POST.get("name", ""))
    replies = sends_to(inbox, customer, simulator.provider.sends(CHANNELS[inbox.channel_type].provider))
    reply = next((sent for sent in replies if sent["id"] == request.POST.get("reply")), {})
    button = next((b for b in reply.get("buttons") or [] if b["id"] == request.POST.get("button")), None)
    if button is None:
        problem = "No such button: none of this customer's replies shows it."
        return JsonResponse({"error": problem}, status=400)
    refusal = _post(simulator, inbox, tap_webhook(inbox, customer, reply, button, simulator.next_id))
    message = _record(simulator, inbox, customer, button["title"], refusal)
    return JsonResponse({"message": message}, status=502 if refusal else 200)


def _record(
    simulator: Simulator,
    inbox: Inbox,
    customer: Customer,
    text: str,
    refusal: str,
    *,
    photo: str = "",
    subject: str = "",
) -> dict[str, Any]:
    """What the customer sent, on their phone, marked stored or refused by Parley."""
    return simulator.record_customer_message(
        {
            "id": f"customer-{simulator.next_id()}",
            "inbox": inbox.public_key,
            "customer": customer.id,
            "direction": "in",
            "subject": subject,
            "body": text,
            "photo": photo,
            "at": time.time(),
            "status": "refused" if refusal else "stored",
            "detail": refusal,
        }
    )


@require_GET
def messages(request: HttpRequest) -> JsonResponse:
    """The customer's phone: what they sent and the replies the provider accepted for them, in
    order. Showing a reply is reading it: WhatsApp and Messenger then report delivered and read."""
    simulator = _running()
    inbox = _simulated_inbox(request.GET.get("inbox", ""))
    if inbox.channel_type == ChannelType.EMAIL:
        address = request.GET.get("customer", "").strip().lower()
        thread = simulator.customer_messages(inbox.public_key, address)
        thread += map(email_customer.reply_shown, email_customer.replies_to(simulator.mail_server, address))
        return JsonResponse({"messages": sorted(thread, key=lambda message: message["at"])})
    customer = _customer(request.GET.get("customer", ""), "")
    channel = CHANNELS[inbox.channel_type]
    replies = sends_to(inbox, customer, simulator.provider.sends(channel.provider))
    if channel.receipts:
        for reply in replies:
            if simulator.claim_receipt(reply["id"]):
                _report_receipts(simulator, inbox, customer, reply)
    thread = simulator.customer_messages(inbox.public_key, customer.id)
    thread += [_reply(simulator, reply, channel.receipts) for reply in replies]
    return JsonResponse({"messages": sorted(thread, key=lambda message: message["at"])})


def _running() -> Simulator:
    simulator = simulator_runtime.current()
    if simulator is None:
        raise Http404("The provider simulator runs only in make run's demo (PARLEY_SIMULATOR).")
    return simulator


def _simulated_inboxes() -> list[Inbox]:
    inboxes = Inbox.objects.filter(channel_type__in=SIMULATED, is_active=True)
    playable = [inbox for inbox in inboxes if _playable(inbox)]
    return sorted(playable, key=lambda inbox: (SIMULATED.index(inbox.channel_type), inbox.name))


def _simulated_inbox(key: str) -> Inbox:
    inbox = Inbox.objects.filter(public_key=key, channel_type__in=SIMULATED, is_active=True).first()
    if inbox is None or not _playable(inbox):
        raise Http404("No SMS, WhatsApp, Messenger, Telegram or forwarded email inbox has this key.")
    return inbox


def _playable(inbox: Inbox) -> bool:
    return inbox.channel_type != ChannelType.EMAIL or email_customer.is_playable(inbox)


def _inbox_choice(inbox: Inbox) -> dict[str, Any]:
    if inbox.channel_type == ChannelType.EMAIL:
        return {
            "key": inbox.public_key,
            "name": inbox.name,
            "channel": "email",
            "label": email_customer.LABEL,
            "id_label": email_customer.ID_LABEL,
            "default_id": email_customer.DEFAULT_ADDRESS,
            "default_name": email_customer.DEFAULT_NAME,
            "asks_name": True,
        }
    channel = CHANNELS[inbox.channel_type]
    return {
        "key": inbox.public_key,
        "name": inbox.name,
        "channel": channel.channel_type,
        "label": channel.label,
        "id_label": channel.id_label,
        "default_id": channel.default_customer.id,
        "default_name": channel.default_customer.name,
        "asks_name": channel.asks_name,
    }


def _customer(raw_id: str, name: str) -> Customer:
    return Customer(id=_SEPARATORS.sub("", raw_id), name=name.strip())


def _post(simulator: Simulator, inbox: Inbox, hook: Webhook) -> str:
    """POST one webhook to Parley as the provider would; "" when Parley took it, else why not."""
    # The URL a business pastes into the provider's console (docs/channels.md).
    url = f"{simulator.parley_url}/hooks/{CHANNELS[inbox.channel_type].provider}/{inbox.public_key}/"
    try:
        answer = post_signed(url, hook.signing, hook.body, hook.secret, timeout=15.0)
    except httpx.HTTPError as error:
        return f"Parley could not be reached at {url}: {error}"
    if answer.status_code != 200:
        return f"Parley answered {answer.status_code}: {answer.text[:200]}"
    return ""


def _report_receipts(simulator: Simulator, inbox: Inbox, customer: Customer, reply: dict[str, Any]) -> None:
    for hook in receipt_webhooks(inbox, customer, reply):
        refusal = _post(simulator, inbox, hook)
        if refusal:
            logger.warning("simulator: the receipt for %s was refused: %s", reply["id"], refusal)
            simulator.set_receipt(reply["id"], "unreported")
            return
    simulator.set_receipt(reply["id"], "read")


def _reply(simulator: Simulator, reply: dict[str, Any], receipts: bool) -> dict[str, Any]:
    """One accepted send as the customer's phone shows it. Its status is the provider's (Twilio's
    status callbacks move it), or for apps that report receipts, what this phone reported."""
    status = (simulator.receipt(reply["id"]) if receipts else "") or reply["status"]
    media = [str(item) for item in reply.get("media") or []]
    return {
        "id": reply["id"],
        "direction": "out",
        "body": reply.get("body") or "",
        "links": [url for url in media if url.startswith(("http://", "https://"))],
        "files": len(media),
        "buttons": reply.get("buttons") or [],
        "status": status,
        "at": reply["received_at"],
    }


@cache
def _photo() -> bytes:
    found = finders.find(PHOTO)
    if not found:
        raise FileNotFoundError(PHOTO)
    return Path(str(found)).read_bytes()
