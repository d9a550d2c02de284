"""The simulator's email customer: a mail they write reaches Parley as Mailgun forwards it (the
raw mail, signed with the inbox's mailgun_signing_key, to /hooks/mailgun/<key>/mime), and the
replies are the mails the simulator's SMTP server took for their address. Answering writes to
the reply's Reply-To with its threading headers (In-Reply-To, References, "Re:"), as a mail
program does, so the answer lands in the conversation the reply came from.
"""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

import httpx

from conversations.models import Inbox

from .fake_provider.mailgun import post_mailgun
from .mail_servers import MailServer, Received

LABEL, ID_LABEL = "Email", "Email address"
DEFAULT_ADDRESS, DEFAULT_NAME = "maria.garcia@example.net", "María García"
ADDRESS = re.compile(r"^[^@\s<>\"]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MAX_SUBJECT = 200


def is_playable(inbox: Inbox) -> bool:
    """An email inbox whose mail the simulator can forward: it has Mailgun's signing key."""
    return bool((inbox.config or {}).get("mailgun_signing_key"))


def customer_problem(address: str, name: str, subject: str) -> str:
    if not ADDRESS.match(address):
        return f"{ID_LABEL}: not one a mail server would deliver from (for example {DEFAULT_ADDRESS})."
    if len(name) > 64:
        return "The name is longer than 64 characters."
    if len(subject) > MAX_SUBJECT:
        return f"A subject is at most {MAX_SUBJECT} characters here."
    return ""


def customer_mail(
    inbox: Inbox, address: str, name: str, subject: str, text: str, answering: Received | None
) -> EmailMessage:
    """The customer's mail: new (to the inbox's address), or answering the reply `answering`."""
    mail = EmailMessage()
    mail["From"] = formataddr((name, address))
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(domain=address.partition("@")[2])
    if answering is None:
        mail["To"] = str((inbox.config or {}).get("address") or "")
        mail["Subject"] = subject or text.splitlines()[0][:60]
    else:
        reply = answering.mail
        mail["To"] = str(reply.get("Reply-To") or reply.get("From") or "")
        reply_subject = str(reply.get("Subject") or "")
        mail["Subject"] = subject or (
            reply_subject if reply_subject.lower().startswith("re:") else f"Re: {reply_subject}"
        )
        reply_id = str(reply.get("Message-ID") or "")
        mail["In-Reply-To"] = reply_id
        mail["References"] = " ".join(part for part in (str(reply.get("References") or ""), reply_id) if part)
    mail.set_content(text)
    return mail


def forward(parley_url: str, inbox: Inbox, raw: bytes) -> str:
    """POST `raw` to Parley as Mailgun's route forwards it; "" when Parley took it, else why not."""
    url = f"{parley_url}/hooks/mailgun/{inbox.public_key}/mime"
    try:
        answer = post_mailgun(url, raw, str((inbox.config or {}).get("mailgun_signing_key") or ""))
    except httpx.HTTPError as error:
        return f"Parley could not be reached at {url}: {error}"
    if answer.status_code != 200:
        return f"Parley answered {answer.status_code}: {answer.text[:200]}"
    return ""


def replies_to(mail_server: MailServer | None, address: str) -> list[Received]:
    """The mails the SMTP server took for `address`, oldest first."""
    if mail_server is None:
        return []
    wanted = address.lower()
    return [mail for mail in list(mail_server.received) if wanted in (r.lower() for r in mail.recipients)]


def reply_shown(received: Received) -> dict[str, Any]:
    """One reply as the customer's mailbox shows it."""
    mail = received.mail
    body = mail.get_body(preferencelist=("plain", "html"))
    attachments = list(mail.iter_attachments())
    return {
        "id": str(mail.get("Message-ID") or ""),
        "direction": "out",
        "subject": str(mail.get("Subject") or ""),
        "body": body.get_content().strip() if body is not None else "",
        "links": [],
        "files": len(attachments),
        "buttons": [],
        "status": "received",
        "at": received.at,
    }
