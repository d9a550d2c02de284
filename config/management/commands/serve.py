"""`manage.py serve`: the whole product from one process (what `make run` starts).

Embedded (no DATABASE_URL/REDIS_URL): web, websockets, a Celery worker thread and the periodic
jobs. Production runs `daphne config.asgi:application`, `celery worker` and `celery beat` instead.
"""

import os

from channels.routing import get_default_application
from daphne.endpoints import build_endpoint_description_strings
from daphne.server import Server, twisted_loop
from django.conf import settings
from django.core.management.base import BaseCommand

from conversations import events

WEBSOCKET_MAX_BYTES = 65 * 1024  # 64 KiB of payload plus JSON framing headroom


class Command(BaseCommand):
    help = "Serve Parley from one process (web, websockets; worker and timer when embedded)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))

    def handle(self, *args, host: str, port: int, **options) -> None:
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
        Server(
            application=get_default_application(),
            endpoints=build_endpoint_description_strings(host=host, port=port),
            action_logger=None,
            # The protocol allows 64 KiB per message; Daphne refuses larger frames itself (1009).
            websocket_max_message_size=WEBSOCKET_MAX_BYTES,
            websocket_max_frame_size=WEBSOCKET_MAX_BYTES,
        ).run()
