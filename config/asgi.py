"""ASGI entry point: HTTP through Django's own handler (but for providers' webhook POSTs, answered
by their own door: channels_in/door.py), websockets through Channels (routes added by the apps).

Django's handler switches between the event loop and a thread around each middleware. Running
the whole stack synchronously in one switch instead saved ~3 ms of CPU a request, but under a
reconnect storm (1,000 widgets asking for connect tokens at once, `bench realtime`'s storm
phase) the websocket handshakes starved and timed out: 146 of 1,000 customers resynced, against
all of them in 40 s with Django's handler. It is Django's handler until that is understood."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs Django set up)
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

from channels_in.door import WebhookDoor  # noqa: E402
from config.daphne_server import leave_bodies_to_the_application  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402
from operations.middleware import ObservedHTTP  # noqa: E402

leave_bodies_to_the_application()  # Twisted parsed every form and upload body Daphne then ignored

application = ProtocolTypeRouter(
    {
        # Every request: an id for its log lines, its count and latency, and /metrics answered.
        "http": ObservedHTTP(WebhookDoor(ASGIHandler())),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)

# What start-up made (modules, URL patterns, templates) lives as long as the process: out of the
# collector's sight, a full collection no longer walks it (~85 ms every ~100 requests otherwise).
gc.collect()
gc.freeze()
