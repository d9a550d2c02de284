"""No middleware takes a request off the event loop before its view. A sync-only middleware makes
Django run it and every middleware above it in a thread made for the request, then hop back to
the loop for those below: the audit context and desk language middlewares did, and a reconnect
storm's 1,000 widgets asking for tokens at once starved the websocket handshakes (python -m bench
realtime, storm: 0 of 1,000 resynced in 60 s). WhiteNoise and the input boundary, sync-only too,
sat at the top, so every request switched three times before its view."""

from django.conf import settings
from django.utils.module_loading import import_string


def test_every_middleware_runs_on_the_event_loop_under_asgi():
    sync_only = [
        path for path in settings.MIDDLEWARE if not getattr(import_string(path), "async_capable", False)
    ]
    assert sync_only == []
