"""`manage.py seed_demo`: the demo workspace `make run` starts with, and the logins to try it.

Safe to run on every start: a second run finds the demo data and changes nothing.
"""

import os
from argparse import ArgumentParser

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import Resolver404, resolve

from agents.demo import DEMO_AGENTS, DEMO_PASSWORD, seed_demo

DESK_PENDING = "/desk/ (the agent desk is not served yet)"


def demo_logins(base_url: str) -> str:
    """The block people copy from the terminal: who can log in, with what, and where. Only places
    that exist are named (the agent desk arrives with its own app)."""
    places = {"Admin": "/admin/", "Agent desk": "/desk/"}
    live = {name: path for name, path in places.items() if _served(path)}
    width = max(len(agent.username) for agent in DEMO_AGENTS)
    lines = [f"Demo logins (password: {DEMO_PASSWORD}):"]
    for agent in DEMO_AGENTS:
        role = agent.role_label
        where = " and ".join(path for name, path in live.items() if agent.is_admin or name != "Admin")
        lines.append(f"  {agent.username:<{width}}  {agent.display_name} ({role}) -> {where or DESK_PENDING}")
    lines += [f"{name + ':':<12}{base_url}{path}" for name, path in live.items()]
    return "\n".join(lines)


def _served(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


class Command(BaseCommand):
    help = "Create demo inboxes, agents and conversations (idempotent) and print the demo logins."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT", "8000")),
            help="Port shown in the printed URLs (default: $PORT or 8000).",
        )

    def handle(self, *args: object, port: int, **options: object) -> None:
        try:
            report = seed_demo()
        except ValidationError as error:
            # An account that already had a demo username but cannot play its part (not a member of
            # the inbox its demo conversations are in): nothing was written.
            raise CommandError(f"Demo data not created: {'; '.join(error.messages)}") from error
        self.stdout.write(self.style.SUCCESS(report.summary()))
        self.stdout.write(demo_logins(f"http://127.0.0.1:{port}"))
