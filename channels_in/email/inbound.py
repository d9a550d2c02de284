"""A mail that arrived (by IMAP or by a provider's inbound webhook) kept before anything else:
its bytes in storage, named by their hash, and a receipt keyed by its Message-ID, in one
transaction with whatever the caller advances (an IMAP cursor). The receipt's unique key makes
the same mail, fetched by two pollers or posted twice, one receipt; a worker that dies before
the commit leaves nothing, and the mail is fetched again. Receipts are applied by
channels_in/receipts.py, as every channel's are."""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from conversations.models import Inbox

from ..adapters.base import InboundMail
from ..receipts import receipts_store
from .reading import MESSAGE_ID, mail_id

FOLDER = "inbound-mail"


def mails_store(*, inbox: Inbox, raws: list[bytes], source: str) -> None:
    """Keep `raws` (whole RFC 5322 mails) as receipts of `inbox`; inside the caller's transaction."""
    events = [_kept(inbox, raw, source) for raw in raws]
    receipts_store(inbox=inbox, provider=source, events=events, raw_body=b"")


def _kept(inbox: Inbox, raw: bytes, source: str) -> InboundMail:
    digest = hashlib.sha256(raw).hexdigest()
    path = f"{FOLDER}/{inbox.pk}/{digest[:2]}/{digest}.eml"
    if not default_storage.exists(path):  # the same bytes twice: one file
        path = default_storage.save(path, ContentFile(raw))
    return InboundMail(mail_id=mail_id(raw, _message_id(raw)), path=path, source=source)


def _message_id(raw: bytes) -> str:
    """The mail's Message-ID, read from its headers alone (reading the whole mail is the
    worker's), or "" when it has none."""
    headers = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    for line in headers.replace(b"\r\n", b"\n").replace(b"\n ", b" ").replace(b"\n\t", b" ").split(b"\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"message-id":
            found = MESSAGE_ID.findall(value.decode("utf-8", "replace"))
            return found[0] if found else ""
    return ""
