"""FakeProviderClient: FakeProvider's control methods, over the control API, for a fake running in
another process (a Celery worker's tests, benchmarks, the demo simulator)."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx


def wait_for_sends(
    fetch: Callable[[], list[dict[str, Any]]], count: int, timeout: float
) -> list[dict[str, Any]]:
    """Poll until at least `count` sends are there; they arrive from other threads or processes."""
    deadline = time.monotonic() + timeout
    while True:
        sends = fetch()
        if len(sends) >= count or time.monotonic() >= deadline:
            if len(sends) < count:
                raise TimeoutError(f"{len(sends)} sends after {timeout} s, wanted {count}")
            return sends
        time.sleep(0.02)


class FakeProviderClient:
    def __init__(self, url: str, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url + "/_fake", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FakeProviderClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, **options: Any) -> Any:
        response = self._http.request(method, path, **options)
        if response.status_code != 200:
            raise ValueError(f"fake provider control {method} {path}: {response.status_code} {response.text}")
        return response.json()

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def sends(self, provider: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        return self._call("GET", "/sends", params=_filters(provider, since))["sends"]

    def requests(self, provider: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        return self._call("GET", "/requests", params=_filters(provider, since))["requests"]

    def callbacks(self) -> list[dict[str, Any]]:
        return self._call("GET", "/callbacks")["callbacks"]

    def reset(self) -> None:
        self._call("POST", "/reset")

    def behave(self, **changes: Any) -> dict[str, Any]:
        return self._call("POST", "/behaviour", json=changes)

    def behaviour(self) -> dict[str, Any]:
        return self._call("GET", "/behaviour")

    def add_media(self, key: str, content: bytes, mime_type: str) -> dict[str, Any]:
        encoded = base64.b64encode(content).decode()
        return self._call(
            "POST", "/media", json={"key": key, "content_base64": encoded, "mime_type": mime_type}
        )

    def add_profile(self, user_id: str, *, kind: str = "messenger", **fields: Any) -> None:
        self._call("POST", "/profiles", json={"user_id": user_id, "kind": kind, "fields": fields})

    def add_credentials(
        self,
        *,
        twilio: dict[str, str] | None = None,
        graph: list[str] | None = None,
        telegram: list[str] | None = None,
    ) -> None:
        self._call("POST", "/credentials", json={"twilio": twilio, "graph": graph, "telegram": telegram})

    def wait_for_sends(
        self, count: int, *, provider: str | None = None, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        return wait_for_sends(lambda: self.sends(provider), count, timeout)


def _filters(provider: str | None, since: int) -> dict[str, str]:
    filters = {"provider": provider} if provider else {}
    return {**filters, "since": str(since)} if since else filters
