"""`python -m simulator.fake_provider --port 0 [--latency-ms 100-300] [--error-rate 0.01]`

Runs the fake provider in the foreground and prints its URL as the first line of stdout, so a
parent process (a test, a benchmark) can read where it listens. SIGTERM or Ctrl-C stops it.
"""

from __future__ import annotations

import argparse

from .server import FakeProvider
from .serving import serve_until_signalled


def _latency(raw: str) -> tuple[int, int]:
    low, _, high = raw.partition("-")
    return int(low), int(high or low)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator.fake_provider", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on start)")
    parser.add_argument("--latency-ms", type=_latency, default=(0, 0), help="MIN-MAX, or one number")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of sends answered 500")
    parser.add_argument("--status-callbacks", action="store_true", help="post Twilio status callbacks")
    parser.add_argument("--accept-any-credentials", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    arguments = _arguments(argv)
    fake = FakeProvider(
        arguments.port,
        arguments.host,
        latency_ms=arguments.latency_ms,
        error_rate=arguments.error_rate,
        status_callbacks=arguments.status_callbacks,
        accept_any_credentials=arguments.accept_any_credentials,
    )
    serve_until_signalled(fake, lambda: fake.url)


if __name__ == "__main__":
    main()
