"""A local fake of an OpenAI-compatible chat endpoint (POST /v1/chat/completions), speaking the real
wire format, with a deterministic model that answers only from the articles it is given. For the
answer bot's generated answers in tests and the demo.

Pure stdlib: it also runs as its own process (`python -m simulator.fake_chat`).
"""

from .model import NOT_COVERED
from .server import API_KEY, Behaviour, FakeChat

__all__ = ["API_KEY", "NOT_COVERED", "Behaviour", "FakeChat"]
