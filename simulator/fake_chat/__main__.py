"""`python -m simulator.fake_chat --port 0 [--api-key KEY | --no-key] [--slow-seconds 0]`

Runs the fake chat endpoint in the foreground and prints its base URL (…/v1, what
PARLEY_GENERATIVE_BASE_URL takes) as the first line of stdout. SIGTERM or Ctrl-C stops it.
"""

from __future__ import annotations

import argparse

from simulator.fake_provider.serving import serve_until_signalled

from .server import API_KEY, FakeChat


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator.fake_chat", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on start)")
    parser.add_argument("--api-key", default=API_KEY, help="the bearer key it accepts")
    parser.add_argument("--no-key", action="store_true", help="accept any key or none, like a local server")
    parser.add_argument("--slow-seconds", type=float, default=0.0, help="wait this long before each answer")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    arguments = _arguments(argv)
    fake = FakeChat(
        arguments.port,
        arguments.host,
        api_key=arguments.api_key,
        require_key=not arguments.no_key,
        slow_seconds=arguments.slow_seconds,
    )
    serve_until_signalled(fake, lambda: fake.base_url)


if __name__ == "__main__":
    main()
