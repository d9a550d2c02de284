"""ASGI entry point: HTTP through Django (its stack run synchronously: config/handler.py; but for
providers' webhook POSTs, answered by their own door: channels_in/door.py), websockets through
Channels (routes added by the apps)."""

import gc
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402  (needs Django set up)

from channels_in.door import WebhookDoor  # noqa: E402
from config.handler import SynchronousStackHandler  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": WebhookDoor(SynchronousStackHandler()),
        "websocket": URLRouter(websocket_urlpatterns),
    }
)

# What start-up made (modules, URL patterns, templates) lives as long as the process: out of the
# collector's sight, a full collection no longer walks it (~85 ms every ~100 requests otherwise).
gc.collect()
gc.freeze()
