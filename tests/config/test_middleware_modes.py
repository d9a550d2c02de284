"""Which middleware takes a request off the event loop. A sync-only middleware makes Django run it
and every middleware above it in a thread made for the request, then hop back to the loop for
those below: two of ours did, and a reconnect storm's 1,000 widgets asking for tokens at once
starved the websocket handshakes (python -m bench realtime, storm: 0 of 1,000 resynced in 60 s,
against all of them in 31 s once both were async-capable)."""

from django.conf import settings
from django.utils.module_loading import import_string


def test_only_the_static_files_and_the_form_reader_take_a_request_to_a_thread():
    sync_only = [
        path for path in settings.MIDDLEWARE if not getattr(import_string(path), "async_capable", False)
    ]
    # WhiteNoise has no async mode; the input boundary parses forms and uploads, which is not the
    # event loop's work. Both sit at the top, so a request crosses to a thread once before its view.
    assert sync_only == [
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "config.middleware.InputBoundaryMiddleware",
    ]
    assert settings.MIDDLEWARE.index(sync_only[-1]) < 4
