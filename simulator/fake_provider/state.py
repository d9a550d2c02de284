"""What the fake provider remembers, shared by every request thread: accepted sends, every request,
the behaviour it was told to show (latency, faults), registered media and credentials.

All of it sits behind one lock; readers get deep copies, so a test never sees a record change
under it.
"""

from __future__ import annotations

import copy
import hashlib
import mimetypes
import random
import re
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

from .wire import ApiRequest

PROVIDERS = ("twilio", "whatsapp", "messenger", "telegram")
# "sends" are the calls that deliver a message; "other" every other API call (lists, media,
# templates, typing indicators).
FAULT_CALLS = ("sends", "other", "all")

# Test-only credentials the fake knows from the start (the Twilio pair is the one in
# fixtures/twilio/signatures.json). More can be added with add_credentials().
TWILIO_ACCOUNT_SID = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
TWILIO_AUTH_TOKEN = "12345678901234567890123456789012"  # noqa: S105 - a published test vector
GRAPH_ACCESS_TOKEN = "parley-test-graph-token"  # noqa: S105
TELEGRAM_BOT_TOKEN = "7000000001:AAparley-test-bot-token_0123456789"  # noqa: S105

DEFAULT_TEMPLATES: list[dict[str, Any]] = [
    {
        "name": "hello_world",
        "language": "en_US",
        "category": "UTILITY",
        "body": "Hello World",
    },
    {
        "name": "conversation_followup",
        "language": "en_US",
        "category": "UTILITY",
        "body": "Hello {{1}}, we have an update on your request. Reply to continue the conversation.",
    },
    {
        "name": "order_update",
        "language": "en_US",
        "category": "UTILITY",
        "body": "Hello {{1}}, your order {{2}} has shipped.",
    },
]

_MEDIA_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,200}$")
_RESPOND = re.compile(r"^(429|5\d\d|timeout|drop|lost|error:[A-Za-z0-9_]+)$")


@dataclass
class ScriptedFault:
    """One scripted answer: `respond` for the next `times` calls of `calls` kind to `match`."""

    match: str
    respond: str
    times: int = 1
    calls: str = "sends"

    def applies_to(self, provider: str, kind: str) -> bool:
        return self.match in ("*", provider) and self.calls in ("all", kind)

    def to_json(self) -> dict[str, Any]:
        return {"match": self.match, "respond": self.respond, "times": self.times, "calls": self.calls}


@dataclass(frozen=True)
class Behaviour:
    """Replaced whole on every change, so request threads can read it without the lock."""

    latency_ms: tuple[int, int] = (0, 0)
    error_rate: float = 0.0
    status_callbacks: bool = False
    status_callback_delay_ms: int = 50
    timeout_seconds: float = 30.0
    telegram_retry_after: int = 35
    blocked_chats: tuple[str, ...] = ()
    outside_window: tuple[str, ...] = ()
    templates: tuple[dict[str, Any], ...] = tuple(DEFAULT_TEMPLATES)
    accept_any_credentials: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "latency_ms": list(self.latency_ms),
            "error_rate": self.error_rate,
            "status_callbacks": self.status_callbacks,
            "status_callback_delay_ms": self.status_callback_delay_ms,
            "timeout_seconds": self.timeout_seconds,
            "telegram_retry_after": self.telegram_retry_after,
            "blocked_chats": list(self.blocked_chats),
            "outside_window": list(self.outside_window),
            "templates": copy.deepcopy(list(self.templates)),
            "accept_any_credentials": self.accept_any_credentials,
        }

    def updated(self, changes: dict[str, Any]) -> Behaviour:
        unknown = set(changes) - set(self.to_json())
        if unknown:
            raise ValueError(f"unknown behaviour keys: {sorted(unknown)}")
        values: dict[str, Any] = dict(changes)
        if "latency_ms" in values:
            low, high = (int(bound) for bound in values["latency_ms"])
            if not 0 <= low <= high:
                raise ValueError("latency_ms must be [min, max] with 0 <= min <= max")
            values["latency_ms"] = (low, high)
        if "error_rate" in values and not 0.0 <= float(values["error_rate"]) <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        for name in ("blocked_chats", "outside_window"):
            if name in values:
                values[name] = tuple(str(item) for item in values[name])
        if "templates" in values:
            values["templates"] = tuple(dict(template) for template in values["templates"])
            if any(not {"name", "language", "body"} <= set(t) for t in values["templates"]):
                raise ValueError("each template needs name, language and body")
        return replace(self, **values)


def parse_script(entries: list[dict[str, Any]], known_errors: set[str]) -> list[ScriptedFault]:
    script = []
    for entry in entries:
        fault = ScriptedFault(
            match=str(entry.get("match", "*")),
            respond=str(entry.get("respond", "")),
            times=int(entry.get("times", 1)),
            calls=str(entry.get("calls", "sends")),
        )
        if fault.match != "*" and fault.match not in PROVIDERS:
            raise ValueError(f"script match must be one of {PROVIDERS} or '*', not {fault.match!r}")
        if not _RESPOND.match(fault.respond):
            raise ValueError(
                f"script respond {fault.respond!r} is not 429, 5xx, timeout, drop, lost or error:<name>"
            )
        name = fault.respond.removeprefix("error:")
        if fault.respond.startswith("error:") and name not in known_errors:
            raise ValueError(f"no provider knows the scripted error {name!r}; known: {sorted(known_errors)}")
        if fault.calls not in FAULT_CALLS or fault.times < 1:
            raise ValueError(f"script calls must be one of {FAULT_CALLS} and times >= 1")
        script.append(fault)
    return script


@dataclass
class MediaBlob:
    key: str
    content: bytes
    mime_type: str
    file_path: str  # Telegram's getFile answer points here

    def describe(self, base_url: str) -> dict[str, Any]:
        return {
            "key": self.key,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
            "sha256": hashlib.sha256(self.content).hexdigest(),
            "url": f"{base_url}/_media/{self.key}",
            "twilio_url": (
                f"{base_url}/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages/"
                f"MM{hashlib.md5(self.key.encode()).hexdigest()}/Media/{self.key}"  # noqa: S324 - an id
            ),
            "graph_id": self.key,
            "telegram_file_id": self.key,
            "telegram_file_path": self.file_path,
        }


@dataclass
class Credentials:
    twilio: dict[str, str] = field(default_factory=lambda: {TWILIO_ACCOUNT_SID: TWILIO_AUTH_TOKEN})
    graph: set[str] = field(default_factory=lambda: {GRAPH_ACCESS_TOKEN})
    telegram: set[str] = field(default_factory=lambda: {TELEGRAM_BOT_TOKEN})

    def copy(self) -> Credentials:
        return Credentials(dict(self.twilio), set(self.graph), set(self.telegram))


class ProviderState:
    def __init__(self, behaviour: Behaviour, known_errors: set[str]) -> None:
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.known_errors = known_errors
        self.behaviour = behaviour
        self._initial_behaviour = behaviour
        self._initial_credentials = Credentials()
        self._telegram_message_id = 1000
        self._clear()

    def _clear(self) -> None:
        self._sends: list[dict[str, Any]] = []
        self._requests: list[dict[str, Any]] = []
        self._callbacks: list[dict[str, Any]] = []
        self._script: list[ScriptedFault] = []
        self._media: dict[str, MediaBlob] = {}
        self._profiles: dict[str, dict[str, Any]] = {}
        self.credentials = self._initial_credentials.copy()
        self.behaviour = self._initial_behaviour

    # --- recording ---

    def record_request(self, provider: str | None, kind: str, request: ApiRequest) -> dict[str, Any]:
        entry = {"provider": provider, "kind": kind, **request.raw(), "received_at": time.time()}
        entry.update(status=None, fault=None, accepted_id=None)
        with self.lock:
            entry["seq"] = len(self._requests) + 1
            self._requests.append(entry)
        return entry

    def finish_request(self, entry: dict[str, Any], **outcome: Any) -> None:
        with self.lock:
            entry.update(outcome)

    def accept(self, provider: str, request: ApiRequest, send: dict[str, Any]) -> dict[str, Any]:
        """Record a send as accepted: called the moment the request is understood, before any
        latency, as a real provider has it whether or not the client lives to read the answer.
        `send` holds at least id, to, body and media."""
        record = {"provider": provider, **send, "raw": request.raw(), "received_at": time.time()}
        with self.lock:
            record["seq"] = len(self._sends) + 1
            self._sends.append(record)
        return copy.deepcopy(record)

    def update_send(self, send_id: str, **changes: Any) -> None:
        with self.lock:
            for record in self._sends:
                if record["id"] == send_id:
                    record.update(changes)

    def record_callback(self, callback: dict[str, Any]) -> None:
        with self.lock:
            self._callbacks.append(callback)

    def sends(self, provider: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        """`since` skips records up to that seq, so a long benchmark can poll only what is new."""
        with self.lock:
            found = [s for s in self._sends[since:] if provider in (None, s["provider"])]
            return copy.deepcopy(found)

    def requests(self, provider: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        with self.lock:
            found = [r for r in self._requests[since:] if provider in (None, r["provider"])]
            return copy.deepcopy(found)

    def callbacks(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._callbacks)

    def next_telegram_message_id(self) -> int:
        with self.lock:
            self._telegram_message_id += 1
            return self._telegram_message_id

    # --- behaviour ---

    def reset(self) -> None:
        """Back to how the server started (including the behaviour given on its command line)."""
        with self.lock:
            self._clear()

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        changes = dict(changes)
        script = parse_script(changes.pop("script"), self.known_errors) if "script" in changes else None
        behaviour = self.behaviour.updated(changes)
        with self.lock:
            self.behaviour = behaviour
            if script is not None:
                self._script = script
        return self.describe_behaviour()

    def describe_behaviour(self) -> dict[str, Any]:
        with self.lock:
            return {**self.behaviour.to_json(), "script": [fault.to_json() for fault in self._script]}

    def next_fault(self, provider: str, kind: str) -> str | None:
        """The scripted answer due for this call, in script order; else a random 5xx on sends at
        the configured error rate; else None (behave normally)."""
        with self.lock:
            for fault in self._script:
                if fault.applies_to(provider, kind):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._script.remove(fault)
                    return fault.respond
        if kind == "sends" and random.random() < self.behaviour.error_rate:
            return "500"
        return None

    def latency_seconds(self) -> float:
        low, high = self.behaviour.latency_ms
        return random.uniform(low, high) / 1000.0

    def sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; False when it did."""
        return not self.stopping.wait(seconds) if seconds > 0 else not self.stopping.is_set()

    # --- media and credentials ---

    def add_media(self, key: str, content: bytes, mime_type: str, base_url: str) -> dict[str, Any]:
        if not _MEDIA_KEY.match(key):
            raise ValueError("media key must be 1-200 of A-Z a-z 0-9 _ . -")
        folder = "photos" if mime_type.startswith("image/") else "documents"
        extension = mimetypes.guess_extension(mime_type) or ".bin"
        with self.lock:
            blob = MediaBlob(key, content, mime_type, f"{folder}/file_{len(self._media) + 1}{extension}")
            self._media[key] = blob
        return blob.describe(base_url)

    def media(self, key: str) -> MediaBlob | None:
        with self.lock:
            return self._media.get(key)

    def media_at_path(self, file_path: str) -> MediaBlob | None:
        with self.lock:
            return next((blob for blob in self._media.values() if blob.file_path == file_path), None)

    def add_profile(self, user_id: str, profile: dict[str, Any]) -> None:
        """A Messenger or Instagram customer Graph shows (meta_profiles.checked_profile's)."""
        with self.lock:
            self._profiles[str(user_id)] = dict(profile)

    def profile(self, user_id: str) -> dict[str, Any] | None:
        with self.lock:
            found = self._profiles.get(user_id)
            return dict(found) if found is not None else None

    def add_credentials(
        self,
        twilio: dict[str, str] | None = None,
        graph: list[str] | None = None,
        telegram: list[str] | None = None,
    ) -> None:
        with self.lock:
            self.credentials.twilio.update(twilio or {})
            self.credentials.graph.update(graph or ())
            self.credentials.telegram.update(telegram or ())

    def twilio_auth_ok(self, account_sid: str, auth_token: str) -> bool:
        if self.behaviour.accept_any_credentials:
            return bool(account_sid and auth_token)
        with self.lock:
            return self.credentials.twilio.get(account_sid) == auth_token

    def graph_token_ok(self, token: str) -> bool:
        if self.behaviour.accept_any_credentials:
            return bool(token)
        with self.lock:
            return token in self.credentials.graph

    def telegram_token_ok(self, token: str) -> bool:
        if self.behaviour.accept_any_credentials:
            return bool(token)
        with self.lock:
            return token in self.credentials.telegram
