"""manage.py watch_mailboxes: new mail in at once from every email inbox whose mail server offers
IMAP IDLE (channels_in/email/idle.py), until SIGTERM or SIGINT. One is enough: a second runs
harmlessly beside it (the cursor lets one poll at a time), so a rolling restart loses nothing.
The beat's poll every 30 s stays on; it reads the servers without IDLE and catches anything a
watcher missed while it reconnected. With PARLEY_METRICS_PORT set, /metrics is served there
(docs/operations.md), as a Celery worker serves it.
"""

import signal
import threading

from django.core.management.base import BaseCommand

from channels_in.email.idle import MailboxWatchers
from operations.worker import serve_metrics


class Command(BaseCommand):
    help = "Watch each email inbox's IMAP folder with IDLE and store new mail as it arrives."

    def handle(self, *args: object, **options: object) -> None:
        stop = threading.Event()
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())
        serve_metrics()  # on PARLEY_METRICS_PORT, as a Celery worker's
        self.stdout.write("Watching email inboxes by IMAP IDLE (SIGTERM stops).")
        MailboxWatchers().run(stop)
        self.stdout.write("Stopped watching.")
