"""The provider simulator while it runs: the local fake provider (a thread in `manage.py serve`),
where Parley itself listens, and what the simulated customers said.

`serve` starts it in the embedded demo (settings.PARLEY_SIMULATOR): every adapter then talks to
the fake instead of Twilio, Meta and Telegram, an SMTP server (aiosmtpd) on DEMO_SMTP_PORT takes
the demo email inbox's mail, and /simulator/ (simulator/views.py) plays their customers.
Nothing here runs in production unless PARLEY_SIMULATOR=1 asks for it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from .fake_provider import FakeProvider
from .mail_servers import MailServer

logger = logging.getLogger(__name__)
# The port the demo email inbox names as its SMTP server (agents/demo/script.py DEMO_SMTP_PORT).
DEMO_SMTP_PORT = 2525
PROVIDER_URL_SETTINGS = ("TWILIO_API_URL", "META_GRAPH_URL", "TELEGRAM_API_URL")


@dataclass
class Simulator:
    """One running simulator. `parley_url` is where the simulated customers' webhooks are posted:
    this server's own address, so they pass through the whole stack and its verification."""

    provider: FakeProvider
    parley_url: str
    replaced_settings: dict[str, str]
    mail_server: MailServer | None = None  # None when its port was taken: replies wait and retry
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _customer_messages: list[dict[str, Any]] = field(default_factory=list)
    _receipts: dict[str, str] = field(default_factory=dict)  # reply id -> what the phone reported
    _last_id: int = 0

    def next_id(self) -> int:
        """Increasing across restarts too (it starts from the clock), as Telegram's update and
        message ids are: Parley keeps a Telegram message by chat and message id."""
        with self._lock:
            self._last_id = max(self._last_id + 1, int(time.time() * 1000))
            return self._last_id

    def record_customer_message(self, message: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._customer_messages.append(dict(message))
        return message

    def customer_messages(self, inbox_key: str, customer: str) -> list[dict[str, Any]]:
        with self._lock:
            return [
                dict(message)
                for message in self._customer_messages
                if message["inbox"] == inbox_key and message["customer"] == customer
            ]

    def claim_receipt(self, reply_id: str) -> bool:
        """True the first time: the simulated phone reports each reply once, however many polls
        see it at the same moment."""
        with self._lock:
            if reply_id in self._receipts:
                return False
            self._receipts[reply_id] = ""
            return True

    def set_receipt(self, reply_id: str, status: str) -> None:
        with self._lock:
            self._receipts[reply_id] = status

    def receipt(self, reply_id: str) -> str:
        with self._lock:
            return self._receipts.get(reply_id, "")


_running: Simulator | None = None


def current() -> Simulator | None:
    """The running simulator, or None (then /simulator/ answers 404)."""
    return _running


def start(*, parley_url: str, smtp_port: int = DEMO_SMTP_PORT) -> Simulator:
    """Start the fake provider on a free local port and point every adapter at it, and the mail
    server on `smtp_port` (0: a free one; tests point their email inbox at it).

    It takes any credentials (the demo inboxes' are generated per install) and posts Twilio's
    status callbacks, signed, to the StatusCallback each send names (PUBLIC_URL's webhook), half a
    second apart, about as a real carrier reports.
    """
    global _running
    if _running is not None:
        raise RuntimeError("the provider simulator is already running")
    provider = FakeProvider(
        port=0, status_callbacks=True, status_callback_delay_ms=500, accept_any_credentials=True
    ).start()
    replaced = {name: getattr(settings, name) for name in PROVIDER_URL_SETTINGS}
    for name in PROVIDER_URL_SETTINGS:
        setattr(settings, name, provider.url)
    _running = Simulator(
        provider=provider,
        parley_url=parley_url.rstrip("/"),
        replaced_settings=replaced,
        mail_server=_mail_server(smtp_port),
    )
    return _running


def _mail_server(port: int) -> MailServer | None:
    try:
        return MailServer(port).__enter__()
    except (OSError, RuntimeError) as error:  # the port is taken: the rest of the demo still runs
        logger.warning(
            "simulator: no SMTP server on 127.0.0.1:%s (%s); email replies wait for it", port, error
        )
        return None


def stop() -> None:
    """Stop the fake and give the adapters their provider URLs back (tests start and stop it)."""
    global _running
    if _running is None:
        return
    running, _running = _running, None
    running.provider.stop()
    if running.mail_server is not None:
        running.mail_server.__exit__(None, None, None)
    for name, value in running.replaced_settings.items():
        setattr(settings, name, value)
