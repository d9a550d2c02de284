"""Mailgun's side of an inbound mail: a route `forward("https://<host>/hooks/mailgun/<inbox
key>/mime")` POSTs the whole raw message, because the URL ends in "mime", as multipart/form-data:

    recipient=support@acme.example   sender=ann@example.net   from=Ann <ann@example.net>
    subject=Where is my order?       body-mime=<the RFC 5322 bytes, as received>
    timestamp=1764979200   token=<50 random characters>   signature=<hex>

signature = hex(HMAC-SHA256(the account's HTTP webhook signing key, timestamp + token)), with
a fresh timestamp and token on every try (Mailgun re-signs its retries). Tests, the benchmark and
the simulator build their posts here, so what they send is what Mailgun sends.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.utils import parseaddr
from typing import Any

import httpx


@dataclass(frozen=True)
class MailgunPost:
    body: bytes
    content_type: str  # multipart/form-data with its boundary


def mailgun_signature(signing_key: str, timestamp: str, token: str) -> str:
    return hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def mailgun_forward(
    raw: bytes,
    signing_key: str,
    *,
    recipient: str = "",
    timestamp: int | None = None,
    token: str | None = None,
    signature: str | None = None,
) -> MailgunPost:
    """The form Mailgun posts for `raw` to a route's ".../mime" URL, signed with `signing_key`
    now (or at `timestamp`, with `token`). `signature` overrides the computed one (a forgery)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    token = token if token is not None else secrets.token_hex(25)  # 50 characters, as Mailgun's
    headers = BytesParser(policy=policy.compat32).parsebytes(raw, headersonly=True)
    fields = {
        "recipient": recipient or str(headers.get("To", "")),
        "sender": parseaddr(str(headers.get("From", "")))[1],
        "from": str(headers.get("From", "")),
        "subject": str(headers.get("Subject", "")),
        "timestamp": stamp,
        "token": token,
        "signature": signature if signature is not None else mailgun_signature(signing_key, stamp, token),
    }
    # A plain field, not a file: (None, ...) gives it no filename, as Mailgun's form has none.
    request = httpx.Request("POST", "http://mailgun.invalid/", data=fields, files={"body-mime": (None, raw)})
    return MailgunPost(body=request.read(), content_type=request.headers["Content-Type"])


def post_mailgun(url: str, raw: bytes, signing_key: str, **options: Any) -> httpx.Response:
    """POST `raw` to Parley's route URL (".../mime") as Mailgun forwards it."""
    post = mailgun_forward(raw, signing_key)
    return httpx.post(
        url, content=post.body, headers={"Content-Type": post.content_type}, timeout=30, **options
    )
