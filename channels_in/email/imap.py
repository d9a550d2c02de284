"""Mail in by IMAP from any mailbox (IMAPClient, a maintained client): each poll reads the
mails after the cursor's UID and stores them with the cursor's advance in one transaction.

Exactly once, whatever happens: two pollers of one inbox do not fetch at once (the cursor's row
is locked, SKIP LOCKED: the second finds it busy and leaves); a poller that dies mid-fetch
commits nothing, so the next poll fetches the same mails again; a mail seen twice anyway (a
folder whose UIDVALIDITY changed is read again from its start) is one receipt, by its
Message-ID (inbound.py). The folder is opened read-only: Parley never marks, moves or deletes
the business's mail.

Inbox.config: imap_host, imap_port (993), imap_security ("ssl", "starttls" or "none"),
imap_username, imap_password, imap_folder ("INBOX"); or, instead of imap_password, OAuth 2.0
sign-in by SASL XOAUTH2 (oauth.py's settings).
"""

import ssl
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from conversations.models import Inbox
from operations.metrics import MAILBOX_POLL_FAILURES, MAILS_READ

from ..models import MailboxCursor
from . import oauth
from .inbound import mails_store

BATCH = 25  # mails fetched per round trip
PER_POLL = 200  # a poll stores at most this many; a fuller mailbox is read over several polls
SECURITY = ("ssl", "starttls", "none")


@dataclass(frozen=True)
class Poll:
    stored: int
    more: bool  # PER_POLL were stored: poll again at once
    busy: bool = False  # another poller holds this inbox


class MailboxNotConfigured(ValueError):
    pass


# What a poll may meet that is the mailbox's, not Parley's: recorded on the cursor, tried again.
POLL_ERRORS = (OSError, IMAPClientError, MailboxNotConfigured, oauth.OAuthSignInError)


def mailbox_poll(inbox: Inbox) -> Poll:
    """Store the inbox's new mails (up to PER_POLL). Connection and login errors propagate
    (the task records them on the cursor and tries again at the next poll)."""
    MailboxCursor.objects.get_or_create(inbox=inbox, defaults={"folder": mailbox_folder(inbox)})
    if oauth.oauth_signs_in(inbox):  # before the poll's transaction: a rotated refresh token is kept
        oauth.access_token_for(inbox)  # even if the poll then fails and rolls back
    with transaction.atomic():
        cursor = MailboxCursor.objects.select_for_update(skip_locked=True).filter(inbox=inbox).first()
        if cursor is None:
            return Poll(0, more=False, busy=True)
        with mailbox_connect(inbox) as client:
            selected = client.select_folder(cursor.folder, readonly=True)
            validity = int(selected[b"UIDVALIDITY"])
            if validity != cursor.uid_validity:  # a new folder, or the same name recreated
                cursor.uid_validity, cursor.last_uid = validity, 0
            uids = sorted(
                uid for uid in client.search(["UID", f"{cursor.last_uid + 1}:*"]) if uid > cursor.last_uid
            )
            uids = uids[:PER_POLL]
            for start in range(0, len(uids), BATCH):
                chunk = uids[start : start + BATCH]
                fetched = client.fetch(chunk, ["BODY.PEEK[]"])
                mails_store(
                    inbox=inbox,
                    raws=[fetched[uid][b"BODY[]"] for uid in chunk if uid in fetched],
                    source="imap",
                )
        if uids:
            cursor.last_uid = uids[-1]
        cursor.polled_at, cursor.last_error = timezone.now(), ""
        cursor.save()
    MAILS_READ.inc(len(uids))  # committed
    return Poll(len(uids), more=len(uids) >= PER_POLL)


def mailbox_poll_failed(inbox: Inbox, error: Exception) -> None:
    MAILBOX_POLL_FAILURES.labels(type(error).__name__).inc()
    MailboxCursor.objects.filter(inbox=inbox).update(last_error=f"{type(error).__name__}: {error}"[:2000])


def mailbox_connect(inbox: Inbox) -> IMAPClient:
    config = inbox.config or {}
    host = str(config.get("imap_host") or "")
    if not host:
        raise MailboxNotConfigured(f"The inbox “{inbox.name}” has no imap_host configured.")
    security = str(config.get("imap_security") or "ssl")
    if security not in SECURITY:
        raise MailboxNotConfigured(f"imap_security must be one of {', '.join(SECURITY)}.")
    port = int(config.get("imap_port") or (993 if security == "ssl" else 143))
    client = IMAPClient(
        host,
        port=port,
        ssl=security == "ssl",
        ssl_context=ssl.create_default_context() if security == "ssl" else None,
        timeout=settings.PARLEY_PROVIDER_TIMEOUT_SECONDS * 20,  # a big mail takes a while to come
    )
    try:
        if security == "starttls":
            client.starttls(ssl.create_default_context())
        mailbox_sign_in(client, inbox)
    except Exception:
        client.shutdown()
        raise
    return client


def mailbox_sign_in(client: IMAPClient, inbox: Inbox) -> None:
    """Log in with the inbox's password, or by XOAUTH2 with an access token where it has OAuth
    settings. A token the server refuses (revoked before it expired) is renewed once."""
    config = inbox.config or {}
    username = str(config.get("imap_username") or "")
    if not oauth.oauth_signs_in(inbox):
        client.login(username, str(config.get("imap_password") or ""))
        return
    try:
        client.sasl_login("XOAUTH2", oauth.xoauth2_responder(username, oauth.access_token_for(inbox)))
    except LoginError:
        client.sasl_login(
            "XOAUTH2", oauth.xoauth2_responder(username, oauth.access_token_for(inbox, renew=True))
        )


def mailbox_folder(inbox: Inbox) -> str:
    return str((inbox.config or {}).get("imap_folder") or "INBOX")
