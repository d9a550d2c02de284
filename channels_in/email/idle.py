"""Mail in at once where the mail server offers IMAP IDLE (RFC 2177): a watcher per email inbox
holds a connection open in IDLE and, when the server says the folder has new mail (EXISTS or
RECENT), runs the same poll the beat runs (imap.mailbox_poll). Exactly once stays the cursor's
job: a watcher and a beat poll racing are two pollers, and the cursor's lock lets one through.

A server without IDLE is left to the beat's poll every 30 s: its watcher says so and ends. A
watcher that loses its server records why on the inbox's cursor (as a failed poll does) and
connects again after a wait that doubles up to a limit. IDLE is renewed before the 29 minutes
after which RFC 2177 lets a server drop an idle client.

`manage.py watch_mailboxes` runs one MailboxWatchers: a thread per inbox, the set read again
every few seconds, so an inbox added, changed or removed is watched, watched anew or let go.
"""

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connections
from imapclient import IMAPClient

from conversations.models import ChannelType, Inbox
from operations.metrics import MAILBOXES_WATCHED

from . import imap

logger = logging.getLogger(__name__)

NEW_MAIL = frozenset({b"EXISTS", b"RECENT"})
BUSY_RETRIES = 20  # a poll that found another poller at work is tried again, this many times


def idle_offered(client: IMAPClient) -> bool:
    """Whether the logged-in `client`'s server offers IDLE; without it the beat's poll reads it."""
    return client.has_capability("IDLE")


def new_mail_in(responses: list) -> bool:
    """Whether IDLE `responses` ([(3, b"EXISTS"), (b"OK", b"Still here")]) say mail arrived."""
    return any(len(response) >= 2 and response[1] in NEW_MAIL for response in responses)


@dataclass
class MailboxWatcher:
    """Watches one inbox's folder until `stop` is set. `watching` is set while it idles (tests
    and the command's log wait on it); `without_idle` once the server turned out not to offer it."""

    inbox_id: int
    stop: threading.Event = field(default_factory=threading.Event)
    watching: threading.Event = field(default_factory=threading.Event)
    without_idle: bool = False
    thread: threading.Thread | None = None

    def start(self) -> "MailboxWatcher":
        self.thread = threading.Thread(target=self.run, name=f"mailbox-watcher-{self.inbox_id}", daemon=True)
        self.thread.start()
        return self

    def close(self, timeout: float | None = None) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def run(self) -> None:
        wait = settings.PARLEY_IMAP_IDLE_RETRY_SECONDS
        try:
            while not self.stop.is_set():
                try:
                    self._watch()
                    if self.without_idle:
                        return
                    wait = settings.PARLEY_IMAP_IDLE_RETRY_SECONDS  # it ran: the next error waits little
                except Inbox.DoesNotExist:
                    return
                except imap.POLL_ERRORS as error:
                    self._failed(error)
                    self.stop.wait(wait)
                    wait = min(wait * 2, settings.PARLEY_IMAP_IDLE_RETRY_MAX_SECONDS)
        finally:
            self.watching.clear()
            connections.close_all()  # this thread's own database connection

    def _watch(self) -> None:
        close_old_connections()
        inbox = Inbox.objects.get(pk=self.inbox_id)
        with imap.mailbox_connect(inbox) as client:
            if not idle_offered(client):
                self.without_idle = True
                logger.info("inbox %s: the mail server offers no IDLE; polled every 30 s", inbox.pk)
                return
            client.select_folder(imap.mailbox_folder(inbox), readonly=True)
            self._poll(inbox)  # what came while nobody watched
            while not self.stop.is_set():
                if self._idle_round(client):
                    self._poll(inbox)

    def _idle_round(self, client: IMAPClient) -> bool:
        """One IDLE, ended at new mail, at the renewal time, or at stop. True if mail came."""
        client.idle()
        self.watching.set()
        MAILBOXES_WATCHED.inc()
        renew_at = time.monotonic() + settings.PARLEY_IMAP_IDLE_RENEW_SECONDS
        arrived = False
        try:
            while not (arrived or self.stop.is_set() or time.monotonic() >= renew_at):
                arrived = new_mail_in(client.idle_check(timeout=settings.PARLEY_IMAP_IDLE_CHECK_SECONDS))
        finally:
            self.watching.clear()
            MAILBOXES_WATCHED.dec()
        _, responses = client.idle_done()
        return arrived or new_mail_in(responses)

    def _poll(self, inbox: Inbox) -> None:
        """The beat's poll, at once; again while it is full, or while a beat poll holds the
        cursor (it may have listed the folder before this mail came)."""
        busy = 0
        try:
            while not self.stop.is_set():
                close_old_connections()
                poll = imap.mailbox_poll(inbox)
                if poll.busy and busy < BUSY_RETRIES:
                    busy += 1
                    self.stop.wait(0.5)
                elif not poll.more:
                    return
        finally:
            connections.close_all()  # back to the pool while it idles: a watcher per inbox holds none

    def _failed(self, error: Exception) -> None:
        self.watching.clear()
        logger.warning("inbox %s: watching by IDLE failed, trying again: %s", self.inbox_id, error)
        try:
            close_old_connections()
            imap.mailbox_poll_failed(Inbox(pk=self.inbox_id), error)
        except Exception:  # the database is away too: the log says it, the next try records it
            logger.exception("inbox %s: could not record the watcher's error", self.inbox_id)


def watched_inboxes() -> dict[int, str]:
    """Each email inbox that reads a mailbox by IMAP, with a fingerprint of its IMAP settings (a
    change starts its watcher anew)."""
    return {
        inbox_id: hashlib.sha256(
            json.dumps(
                {k: v for k, v in (config or {}).items() if k.startswith("imap_")}, sort_keys=True
            ).encode()
        ).hexdigest()
        for inbox_id, config in Inbox.objects.filter(
            channel_type=ChannelType.EMAIL, config__has_key="imap_host"
        ).values_list("pk", "config")
    }


@dataclass
class MailboxWatchers:
    """A watcher per watched inbox, kept in step with the database by `refresh`."""

    make: Callable[[int], MailboxWatcher] = MailboxWatcher
    running: dict[int, tuple[str, MailboxWatcher]] = field(default_factory=dict)

    def refresh(self) -> None:
        close_old_connections()
        wanted = watched_inboxes()
        for inbox_id, (fingerprint, watcher) in list(self.running.items()):
            if wanted.get(inbox_id) != fingerprint:  # removed, or its settings changed
                watcher.close()
                del self.running[inbox_id]
        for inbox_id, fingerprint in wanted.items():
            if inbox_id not in self.running:
                self.running[inbox_id] = (fingerprint, self.make(inbox_id).start())

    def close(self) -> None:
        for _, watcher in self.running.values():
            watcher.stop.set()
        for _, watcher in self.running.values():
            watcher.close()
        self.running.clear()

    def run(self, stop: threading.Event) -> None:
        """Until `stop`: refresh every PARLEY_IMAP_WATCH_REFRESH_SECONDS, then close every watcher."""
        try:
            while not stop.is_set():
                self.refresh()
                stop.wait(settings.PARLEY_IMAP_WATCH_REFRESH_SECONDS)
        finally:
            self.close()
            connections.close_all()
