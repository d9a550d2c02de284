"""What the adapter contract (tests/channels/test_adapter_contract.py) needs to know about each
channel: one `AdapterCase` per adapter in channels_in.adapters.by_provider, in CASES. A new channel
gets the whole contract (signatures, replays, the order of delivery reports, send outcomes) by
adding its entry here; a registered adapter without one fails the suite.

Everything an entry describes is real: posts are signed as the provider signs them (the fixtures'
vectors, or the fake provider's signers, which reproduce those vectors byte for byte), and sends
go to the fake provider (simulator/fake_provider/) or, for the API channel, to a business's
endpoint on 127.0.0.1. entry.py says what an entry is made of.
"""

from .api_channel import API
from .entry import AdapterCase
from .messenger import INSTAGRAM, MESSENGER
from .telegram import TELEGRAM
from .twilio import TWILIO
from .whatsapp import WHATSAPP

CASES: tuple[AdapterCase, ...] = (TWILIO, WHATSAPP, MESSENGER, INSTAGRAM, TELEGRAM, API)

__all__ = ["CASES"]
