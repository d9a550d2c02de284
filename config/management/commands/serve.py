"""`manage.py serve`: the whole product from one process (what `make run` starts).

Embedded (no DATABASE_URL/REDIS_URL): web, websockets, a Celery worker thread, the periodic jobs
and the provider simulator (a fake Twilio/Meta/Telegram and /simulator/, settings.PARLEY_SIMULATOR).
Production runs `daphne config.asgi:application`, `celery worker` and `celery beat` instead.
"""

import os

from channels.routing import get_default_application
from daphne.endpoints import build_endpoint_description_strings
from daphne.server import Server, twisted_loop
from django.conf import settings
from django.core.management.base import BaseCommand

from conversations import events
from simulator import runtime as simulator_runtime
from simulator.runtime import Simulator

# Above the application's own frame limit (conversations.sockets.MAX_FRAME_BYTES) so that an
# oversize frame is refused by the consumer with its documented 4009, never by Daphne with 1009.
WEBSOCKET_MAX_BYTES = 256 * 1024


class Command(BaseCommand):
    help = "Serve Parley from one process (web, websockets; worker and timer when embedded)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, host: str, port: int, **options) -> None:
        own_url = f"http://{_reachable(host)}:{port}"
        if "PUBLIC_URL" not in os.environ:
            # The default names port 8000; provider callbacks and media links must reach this port.
            settings.PUBLIC_URL = own_url
        # The fake providers answer every adapter from here on, so it starts before the worker,
        # whose first sweep sends the replies already queued; /simulator/ plays their customers.
        simulator = simulator_runtime.start(parley_url=own_url) if settings.PARLEY_SIMULATOR else None
        if settings.PARLEY_EMBEDDED_WORKER:
            from config.embedded import start_periodic_timer, start_worker_thread

            # The in-memory layer lives on the server's loop: publish events from that loop.
            events.publisher.use_loop(twisted_loop)
            start_worker_thread()
            start_periodic_timer()
            shape = "embedded: SQLite in var/, in-memory channel layer, in-process worker and timer"
        else:
            shape = "production services: DATABASE_URL and REDIS_URL"
        self.stdout.write(self.style.SUCCESS(f"Parley on http://{host}:{port}/  ({shape})"))
        if simulator is not None:
            self._describe_simulator(simulator, own_url)
        Server(
            application=get_default_application(),
            endpoints=build_endpoint_description_strings(host=host, port=port),
            action_logger=None,
            # Daphne refuses larger frames itself, by dropping the connection.
            websocket_max_message_size=WEBSOCKET_MAX_BYTES,
            websocket_max_frame_size=WEBSOCKET_MAX_BYTES,
        ).run()

    def _describe_simulator(self, simulator: Simulator, own_url: str) -> None:
        self.stdout.write(
            self.style.SUCCESS(f"Customer simulator: {own_url}/simulator/")
            + "  (be an SMS, WhatsApp, Messenger, Telegram or email customer; answer in the desk at "
            + f"{own_url}/desk/ with a demo login)\n"
            + "Provider APIs (Twilio, Meta Graph, Telegram) are answered by the local fake at "
            + f"{simulator.provider.url}"
            + (
                f", the email inbox's mail by the SMTP server on 127.0.0.1:{simulator.mail_server.port}"
                if simulator.mail_server is not None
                else ""
            )
            + ": nothing leaves this machine."
        )
        if not settings.PARLEY_EMBEDDED_WORKER:
            self.stderr.write(
                "PARLEY_SIMULATOR: replies are sent by separate Celery workers, which do not know the "
                f"fake provider; start them with TWILIO_API_URL, META_GRAPH_URL and TELEGRAM_API_URL "
                f"set to {simulator.provider.url}."
            )


def _reachable(host: str) -> str:
    """The address this process itself (and the fake provider beside it) can reach the server at."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - a comparison, not a bind
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
