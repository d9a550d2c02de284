"""Demo data for `manage.py seed_demo`: an inbox per channel, three agents and a supervisor,
conversations with history. `script` is what the workspace holds; `seed` writes it through the
services, once."""

from .script import DEMO_AGENTS, DEMO_CONVERSATIONS, DEMO_PASSWORD
from .seed import SeedReport, seed_demo

__all__ = ["DEMO_AGENTS", "DEMO_CONVERSATIONS", "DEMO_PASSWORD", "SeedReport", "seed_demo"]
