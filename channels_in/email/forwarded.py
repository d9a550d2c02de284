"""POST /hooks/mailgun/<inbox key>/mime: mail in by a Mailgun route that forwards it raw (its
URL ends in "mime", so Mailgun posts the whole message in `body-mime`; the form's shape is in
simulator/fake_provider/mailgun.py). Verify, store, answer (invariant 6), as hooks.py does for
the other channels: this is not a ChannelAdapter, because an email inbox sends by SMTP
(EmailSender), not through Mailgun.

- The signature (HMAC-SHA256 of timestamp + token, keyed by the inbox's `mailgun_signing_key`)
  is checked before anything is kept; a timestamp more than SIGNATURE_MAX_AGE off, or a token
  seen within that window, is refused as a replay: 403, nothing stored.
- The mail is kept by inbound.mails_store, as IMAP's is, under its Message-ID: the same mail by
  IMAP and by this webhook, or posted twice, is one receipt and one message.
- Mailgun takes mails up to 25 MB, far over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (meant for the
  forms people post), so this view reads the body itself, up to MAX_FORWARD_BYTES, and parses
  the form with the standard library's MIME parser.
- Mailgun retries any answer but 200 and 406 for 8 hours; 406 means "do not retry", so it is
  the answer where the same post can never succeed (a signed form without a mail in it).
"""

import hashlib
import hmac
import time
from email import policy
from email.parser import BytesParser

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from conversations.models import ChannelType, Inbox

from ..hooks import plain
from ..inboxes import webhook_inbox
from .inbound import mails_store

SOURCE = "mailgun"
MAX_FORWARD_BYTES = 40 * 1024 * 1024  # a 25 MB mail, plus its attachments' base64 and the form
SIGNATURE_MAX_AGE_SECONDS = 300
REPLAY_GUARD_KEY = "parley:mailgun:seen:{}"


@csrf_exempt  # Mailgun signs its posts; there is no browser session here
def mailgun_forward(request: HttpRequest, key: str) -> HttpResponse:
    inbox = webhook_inbox(key, (ChannelType.EMAIL,))
    if inbox is None:
        return plain("No such webhook: check the route's URL in Mailgun's console.", 404)
    if request.method != "POST":
        return plain("Mailgun POSTs its forwards.", 405)
    if _declared_length(request) > MAX_FORWARD_BYTES:
        return plain(f"A forwarded mail is at most {MAX_FORWARD_BYTES:,} bytes.", 413)
    body = request.read(MAX_FORWARD_BYTES + 1)
    if len(body) > MAX_FORWARD_BYTES:
        return plain(f"A forwarded mail is at most {MAX_FORWARD_BYTES:,} bytes.", 413)
    form = form_fields(request.META.get("CONTENT_TYPE", ""), body)
    refusal = signature_refusal(inbox, form)
    if refusal:
        return plain(refusal, 403)
    raw = form.get("body-mime")
    if not raw:
        return plain(
            "No body-mime: this URL takes a route's raw MIME forward (its URL ends in /mime). "
            "Answered 406 so that Mailgun does not retry a post that cannot succeed.",
            406,
        )
    with transaction.atomic():
        mails_store(inbox=inbox, raws=[raw], source=SOURCE)
    return plain("", 200)


def form_fields(content_type: str, body: bytes) -> dict[str, bytes]:
    """A multipart/form-data body's fields, the first of each name, as the bytes posted; {} for
    any other body. The standard library's MIME parser reads it, under its compat32 policy: the
    form's own headers are two, and the newer policies' header objects were 40% of a post's cost.
    It only splits the form: the mail in body-mime is kept as its bytes."""
    if not content_type.lower().startswith("multipart/form-data"):
        return {}
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    form = BytesParser(policy=policy.compat32).parsebytes(head + body)
    if not form.is_multipart():
        return {}
    fields: dict[str, bytes] = {}
    for part in form.get_payload():
        name = part.get_param("name", header="content-disposition")
        value = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(value, bytes) and name not in fields:
            fields[name] = value
    return fields


def signature_refusal(inbox: Inbox, form: dict[str, bytes]) -> str:
    """Why this form is not Mailgun's, signed now for this inbox; "" when it is. A token is
    remembered once its signature holds, so a replay within the window is refused too."""
    signing_key = str(inbox.config.get("mailgun_signing_key") or "")
    if not signing_key:
        return "This inbox has no mailgun_signing_key in its config: nothing can be verified."
    try:
        timestamp, token, signature = (
            form[name].decode("ascii") for name in ("timestamp", "token", "signature")
        )
        age = abs(time.time() - int(timestamp))
    except (KeyError, UnicodeDecodeError, ValueError):
        return "Not signed: timestamp, token and signature are Mailgun's fields."
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        return "Signature verification failed: check the inbox's mailgun_signing_key."
    if age > SIGNATURE_MAX_AGE_SECONDS:
        return f"Signed more than {SIGNATURE_MAX_AGE_SECONDS} seconds from now: refused as a replay."
    if not cache.add(REPLAY_GUARD_KEY.format(token), 1, timeout=2 * SIGNATURE_MAX_AGE_SECONDS):
        return "This token was used already: refused as a replay."
    return ""


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
