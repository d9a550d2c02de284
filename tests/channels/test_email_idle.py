"""Mail in by IMAP IDLE from a real server (Dovecot): a mail delivered while the watcher idles
is stored within seconds, with no beat; a server without IDLE is left to the beat's poll; a
server that cannot be reached is recorded on the cursor and tried again; the watchers follow the
inboxes as they are added, changed and removed, and stop cleanly."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from channels_in.email.idle import MailboxWatcher, MailboxWatchers, idle_offered, new_mail_in
from channels_in.email.imap import mailbox_poll
from channels_in.models import MailboxCursor, WebhookReceipt
from channels_in.receipts import receipts_apply_new
from conversations.models import Message
from simulator.mail_servers import Dovecot
from tests.channels.test_email_imap import imap_inbox, mail, mailbox  # noqa: F401 (fixtures)
from tests.factories.conversations import InboxFactory
from tests.operations.conftest import sample, scrape
from tests.realtime.harness import ROOT, SERVER_LOGS, free_port, process_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Dovecot's default capabilities less IDLE: a server that does not offer it.
WITHOUT_IDLE = "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE UIDPLUS\n"


@pytest.fixture(autouse=True)
def quick(settings):
    settings.PARLEY_IMAP_IDLE_CHECK_SECONDS = 0.2
    settings.PARLEY_IMAP_IDLE_RETRY_SECONDS = 0.2


@pytest.fixture(scope="module")
def dovecot_without_idle(dovecot):
    """A second real Dovecot, told (imap_capability, reloaded by SIGHUP) not to offer IDLE."""
    root = Path(tempfile.mkdtemp(prefix="parley-dovecot-"))
    root.chmod(0o755)
    try:
        with Dovecot(root) as server:
            conf = root / "dovecot.conf"
            conf.write_text(conf.read_text() + WITHOUT_IDLE)
            os.kill(server.process.pid, signal.SIGHUP)
            deadline = time.monotonic() + 10
            while _offers_idle(server):
                assert time.monotonic() < deadline, "dovecot kept offering IDLE"
                time.sleep(0.1)
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _offers_idle(server: Dovecot) -> bool:
    with server.client() as client:
        return idle_offered(client)


def stored_within(seconds: float, inbox, count: int) -> float:
    started = time.monotonic()
    while WebhookReceipt.objects.filter(inbox=inbox).count() < count:
        assert time.monotonic() - started < seconds, f"not stored within {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - started


def test_mail_delivered_while_the_watcher_idles_is_stored_within_seconds(dovecot, mailbox, imap_inbox):  # noqa: F811
    dovecot.deliver(mail(1), folder=mailbox)  # before the watcher: read when it starts
    watcher = MailboxWatcher(imap_inbox.pk).start()
    try:
        assert watcher.watching.wait(10), "the watcher never started idling"
        assert WebhookReceipt.objects.filter(inbox=imap_inbox).count() == 1

        dovecot.deliver(mail(2), folder=mailbox)
        assert stored_within(2, imap_inbox, 2) < 2  # no beat ran: IDLE told the watcher
        assert watcher.watching.wait(10)  # idling again
        dovecot.deliver(mail(3), mail(4), folder=mailbox)
        stored_within(2, imap_inbox, 4)
    finally:
        watcher.close(timeout=10)

    assert not watcher.thread.is_alive()  # stopped within a check of its socket
    assert mailbox_poll(imap_inbox).stored == 0  # the cursor moved with every mail the watcher stored
    receipts_apply_new()
    assert Message.objects.filter(inbox=imap_inbox).count() == 4


def test_a_server_without_idle_is_left_to_the_beats_poll(dovecot_without_idle, imap_inbox):  # noqa: F811
    imap_inbox.config = {**imap_inbox.config, **dovecot_without_idle.config(), "imap_folder": "INBOX"}
    imap_inbox.save()
    with dovecot_without_idle.client() as client:
        assert not idle_offered(client)
    dovecot_without_idle.deliver(mail(1))

    watcher = MailboxWatcher(imap_inbox.pk).start()
    watcher.thread.join(timeout=10)

    assert not watcher.thread.is_alive() and watcher.without_idle
    assert WebhookReceipt.objects.filter(inbox=imap_inbox).count() == 0  # nothing read by the watcher
    assert mailbox_poll(imap_inbox).stored == 1  # the beat's poll reads it, as before


def test_an_unreachable_server_is_recorded_on_the_cursor_and_tried_again(dovecot, mailbox):  # noqa: F811
    inbox = InboxFactory(
        channel_type="email", config={**dovecot.config(), "imap_port": _closed_port(), "imap_folder": mailbox}
    )
    MailboxCursor.objects.create(inbox=inbox, folder=mailbox)
    watcher = MailboxWatcher(inbox.pk).start()
    try:
        deadline = time.monotonic() + 10
        while not MailboxCursor.objects.get(inbox=inbox).last_error:
            assert time.monotonic() < deadline, "the error was not recorded"
            time.sleep(0.05)
        assert "ConnectionRefusedError" in MailboxCursor.objects.get(inbox=inbox).last_error
        assert watcher.thread.is_alive()  # waiting to try again, not dead

        inbox.config = {**inbox.config, "imap_port": dovecot.port}  # the server is back
        inbox.save()
        assert watcher.watching.wait(10), "the watcher did not connect again"
        assert MailboxCursor.objects.get(inbox=inbox).last_error == ""  # its poll worked
    finally:
        watcher.close(timeout=10)
    assert not watcher.thread.is_alive()


def test_watchers_follow_inboxes_added_changed_and_removed(dovecot, mailbox, imap_inbox):  # noqa: F811
    InboxFactory(channel_type="email", config={"address": "smtp-only@parley.example"})  # no IMAP: unwatched
    watchers = MailboxWatchers()
    try:
        watchers.refresh()
        assert set(watchers.running) == {imap_inbox.pk}
        first = watchers.running[imap_inbox.pk][1]
        assert first.watching.wait(10)

        imap_inbox.config = {**imap_inbox.config, "imap_password": "changed"}
        imap_inbox.save()
        watchers.refresh()
        assert not first.thread.is_alive()  # the old settings' watcher stopped...
        assert watchers.running[imap_inbox.pk][1] is not first  # ...and a new one started

        imap_inbox.delete()
        watchers.refresh()
        assert watchers.running == {}
    finally:
        watchers.close()


def test_watch_mailboxes_stops_cleanly_when_told(dovecot, mailbox, imap_inbox):  # noqa: F811
    stop = threading.Event()
    watchers = MailboxWatchers()
    runner = threading.Thread(target=watchers.run, args=(stop,))
    runner.start()
    deadline = time.monotonic() + 10
    while not (watchers.running and watchers.running[imap_inbox.pk][1].watching.is_set()):
        assert time.monotonic() < deadline, "nothing was watched"
        time.sleep(0.05)
    threads = [watcher.thread for _, watcher in watchers.running.values()]

    stop.set()
    runner.join(timeout=10)

    assert not runner.is_alive() and not any(thread.is_alive() for thread in threads)


def test_the_watch_mailboxes_process_serves_metrics_that_count_what_it_read(
    dovecot,
    mailbox,  # noqa: F811
    imap_inbox,  # noqa: F811
    tmp_path,
):
    port, log_path = free_port(), tmp_path / "watch_mailboxes.log"
    SERVER_LOGS.append(log_path)  # a traceback in its log fails the test
    env = {**process_env(), "PARLEY_METRICS_PORT": str(port), "PARLEY_IMAP_IDLE_CHECK_SECONDS": "0.2"}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "watch_mailboxes"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    metrics = f"http://127.0.0.1:{port}/metrics"
    try:
        _until(lambda: _scraped(metrics, "parley_mailboxes_watched") == 1, "the watcher never idled")
        dovecot.deliver(mail(1), mail(2), folder=mailbox)
        stored_within(10, imap_inbox, 2)
        _until(lambda: _scraped(metrics, "parley_mailbox_mails_read_total") == 2, "mails not counted")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def _scraped(url: str, name: str) -> float:
    try:
        return sample(scrape(url), name)
    except OSError:  # not serving yet
        return -1


def _until(predicate, failure: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, failure
        time.sleep(0.1)


def test_only_new_mail_ends_an_idle():
    assert new_mail_in([(b"OK", b"Still here"), (4, b"EXISTS")])
    assert new_mail_in([(1, b"RECENT")])
    assert not new_mail_in([(b"OK", b"Still here"), (2, b"EXPUNGE"), (3, b"FETCH", (b"FLAGS", ()))])


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
