"""One signed POST to a business's URL, and what came of it. Never raises for the network's sake:
every failure is an answer the delivery service records and decides about."""

import time
from dataclasses import dataclass

import httpx
from django.conf import settings

EXCERPT_BYTES = 1024
DEFAULT_TIMEOUT_SECONDS = 10.0
USER_AGENT = "Parley-Webhooks/1"


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    response_excerpt: str
    error: str
    duration_ms: int

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def timeout_seconds() -> float:
    return float(getattr(settings, "PARLEY_WEBHOOK_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))


def post(url: str, body: bytes, headers: dict[str, str]) -> PostResult:
    """POST `body` to `url`, reading at most the first kilobyte of the answer. Redirects are not
    followed: a business moves its endpoint by editing the subscription, and a redirect would
    carry a signed request somewhere nobody configured."""
    started = time.monotonic()
    status_code: int | None = None
    excerpt = b""
    error = ""
    try:
        with (
            httpx.Client(timeout=timeout_seconds(), follow_redirects=False) as client,
            client.stream(
                "POST",
                url,
                content=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            ) as response,
        ):
            status_code = response.status_code
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES:
                    break
    except httpx.TimeoutException as timeout:
        error = f"Timed out after {timeout_seconds():g} s ({type(timeout).__name__})."
    except (httpx.HTTPError, httpx.InvalidURL) as failure:
        error = f"{type(failure).__name__}: {failure}".removesuffix(": ")
    if status_code is not None and not error and not 200 <= status_code < 300:
        error = f"HTTP {status_code}"
    return PostResult(
        status_code=status_code,
        response_excerpt=excerpt[:EXCERPT_BYTES].decode("utf-8", errors="replace"),
        error=error,
        duration_ms=round((time.monotonic() - started) * 1000),
    )
