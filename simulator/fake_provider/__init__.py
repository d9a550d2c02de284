"""A local fake of Twilio, Meta Graph (WhatsApp Cloud API, Messenger, Instagram) and the Telegram
Bot API, speaking their real wire formats, for tests, benchmarks and the demo simulator.

Pure stdlib + httpx: it also runs as its own process (`python -m simulator.fake_provider`).
"""

from .client import FakeProviderClient
from .server import FakeProvider
from .state import GRAPH_ACCESS_TOKEN, TELEGRAM_BOT_TOKEN, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN

__all__ = [
    "GRAPH_ACCESS_TOKEN",
    "TELEGRAM_BOT_TOKEN",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "FakeProvider",
    "FakeProviderClient",
]
