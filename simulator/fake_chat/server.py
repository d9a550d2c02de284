"""The fake chat model's HTTP server: POST /v1/chat/completions as OpenAI serves it, plus a small
control API under /_fake/ for a test in another process.

    GET  /_fake/health       {"ok": true, "base_url": …}
    GET  /_fake/requests     {"requests": [...]}  every call, oldest first, refused ones too
    POST /_fake/reset        back to how the server started
    GET  /_fake/behaviour    the behaviour in force
    POST /_fake/behaviour    change it; JSON keys, all optional (see Behaviour):
         api_key, require_key, models, min_overlap, cite_links, slow_seconds, retry_after_seconds,
         script [429 | 500 | 502 | 503 | malformed | drop | truncated | reply:<text>], one per call

A call goes: recorded; the key checked (401); the next scripted answer, if any, takes over; the
body checked (400), the model named (404 when `models` is set and it is not there); the model
answers. Then `slow_seconds` pass before anything is written, so a client with a shorter timeout
gives up first.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from simulator.fake_provider.serving import BackgroundFake, FakeHandler
from simulator.fake_provider.wire import ApiRequest, ApiResponse, json_response

from . import api, model

API_KEY = "sk-fake-parley-0123456789abcdefghijklmnop"
SCRIPTED = ("429", "500", "502", "503", "malformed", "drop", "truncated")


@dataclass(frozen=True)
class Behaviour:
    api_key: str = API_KEY
    require_key: bool = True  # False: a local server (Ollama, llama.cpp) that takes any key or none
    models: tuple[str, ...] = ()  # the model names it serves; empty: any name
    min_overlap: int = 1  # words the question must share with an article for an answer
    cite_links: bool = True  # False: the model forgets the Link line, as real ones sometimes do
    slow_seconds: float = 0.0  # before every answer
    retry_after_seconds: int = 20
    script: tuple[str, ...] = ()  # one-off answers, consumed by the next completion calls

    def updated(self, changes: dict[str, Any]) -> Behaviour:
        known = {item.name for item in dataclasses.fields(self)}
        if unknown := set(changes) - known:
            raise ValueError(f"unknown behaviour: {', '.join(sorted(unknown))}")
        for step in changes.get("script") or ():
            if str(step) not in SCRIPTED and not str(step).startswith("reply:"):
                raise ValueError(
                    f"unknown script step {step!r}: one of {', '.join(SCRIPTED)} or reply:<text>"
                )
        tuples = {
            name: tuple(str(item) for item in changes[name])
            for name in ("models", "script")
            if name in changes
        }
        return dataclasses.replace(self, **{**changes, **tuples})


@dataclass
class ChatState:
    behaviour: Behaviour
    initial: Behaviour
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    log: list[dict[str, Any]] = field(default_factory=list)

    def record(self, request: ApiRequest) -> dict[str, Any]:
        entry = {**request.raw(), "received_at": time.time(), "status": None, "fault": None}
        with self.lock:
            entry["seq"] = len(self.log) + 1
            self.log.append(entry)
        return entry

    def finish(self, entry: dict[str, Any], **outcome: Any) -> None:
        with self.lock:
            entry.update(outcome)

    def next_step(self) -> str | None:
        with self.lock:
            if not self.behaviour.script:
                return None
            step, *rest = self.behaviour.script
            self.behaviour = dataclasses.replace(self.behaviour, script=tuple(rest))
            return step

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.behaviour = self.behaviour.updated(changes)
            return dataclasses.asdict(self.behaviour)

    def reset(self) -> None:
        with self.lock:
            self.behaviour = self.initial
            self.log.clear()

    def requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(entry) for entry in self.log]

    def sleep(self, seconds: float) -> bool:
        """Sleep unless the server stops first; False when it did."""
        return not self.stopping.wait(seconds) if seconds > 0 else not self.stopping.is_set()


def answer_completion(request: ApiRequest, state: ChatState) -> ApiResponse | None:
    """The answer to one call of the API, after `slow_seconds`; None to hang up unanswered."""
    entry = state.record(request)
    behaviour = state.behaviour
    step: str | None = None
    if (request.method, request.path.rstrip("/")) != ("POST", api.COMPLETIONS_PATH):
        response: ApiResponse | None = api.not_found(request)
    elif behaviour.require_key and (refused := api.unauthorized(request, behaviour.api_key)):
        response = refused
    else:
        step = state.next_step()
        response = _respond(request, behaviour, step)
    state.finish(entry, fault=step)
    if not state.sleep(behaviour.slow_seconds):
        state.finish(entry, status="stopped")
        return None
    state.finish(entry, status=response.status if response else "dropped")
    return response


def _respond(request: ApiRequest, behaviour: Behaviour, step: str | None) -> ApiResponse | None:
    if step == "drop":
        return None
    if step in ("500", "502", "503"):
        return api.server_error(int(step))
    if step == "malformed":  # a 200 whose JSON stops halfway, as from a proxy cut short
        return ApiResponse(status=200, body=b'{"id": "chatcmpl-', content_type="application/json")
    try:
        body = api.chat_request(request)
    except api.Refused as refusal:
        return refusal.response
    if step == "429":
        return api.rate_limited(body["model"], behaviour.retry_after_seconds)
    if behaviour.models and body["model"] not in behaviour.models:
        message = f"The model `{body['model']}` does not exist or you do not have access to it."
        return api.error(404, message, code="model_not_found")
    if step and step.startswith("reply:"):
        return api.completion(body, step.removeprefix("reply:"))
    text = model.answer(body["messages"], min_overlap=behaviour.min_overlap, cite_links=behaviour.cite_links)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if step == "truncated" or (limit and api.tokens(text) > limit):
        return api.completion(body, text[: max(4 * (limit or 8), 1)], finish_reason="length")
    return api.completion(body, text)


def control(request: ApiRequest, state: ChatState) -> ApiResponse:
    route = (request.method, request.path.rstrip("/"))
    if route == ("GET", "/_fake/health"):
        return json_response(200, {"ok": True, "base_url": request.base_url + "/v1"})
    if route == ("GET", "/_fake/requests"):
        return json_response(200, {"requests": state.requests()})
    if route == ("POST", "/_fake/reset"):
        state.reset()
        return json_response(200, {"ok": True})
    if route == ("GET", "/_fake/behaviour"):
        return json_response(200, dataclasses.asdict(state.behaviour))
    if route == ("POST", "/_fake/behaviour"):
        try:
            changes = json.loads(request.body or b"{}")
            return json_response(200, state.configure(changes if isinstance(changes, dict) else {}))
        except (ValueError, TypeError) as problem:
            return json_response(400, {"error": str(problem)})
    return json_response(404, {"error": f"no control endpoint {route[0]} {route[1]}"})


class _Handler(FakeHandler):
    def answer(self, request: ApiRequest, state: ChatState) -> ApiResponse | None:
        if request.path.startswith("/_fake/"):
            return control(request, state)
        return answer_completion(request, state)


class FakeChat(BackgroundFake):
    """A local OpenAI-compatible chat endpoint. In-process:

        with FakeChat() as fake:
            settings.PARLEY_GENERATIVE_BASE_URL = fake.base_url    # http://127.0.0.1:PORT/v1
            settings.PARLEY_GENERATIVE_API_KEY = fake.api_key
            ...
            assert fake.requests()[0]["json"]["temperature"] == 0

    or `python -m simulator.fake_chat --port 0` for another process, driven over /_fake/.
    """

    handler = _Handler
    thread_name = "fake chat server"

    def __init__(self, port: int = 0, host: str = "127.0.0.1", **behaviour: Any) -> None:
        initial = Behaviour().updated(behaviour)
        super().__init__(port, host)
        self.state = ChatState(behaviour=initial, initial=initial)

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as its base URL (the API lives under /v1)."""
        return self.url + "/v1"

    @property
    def api_key(self) -> str:
        return self.state.behaviour.api_key

    def requests(self) -> list[dict[str, Any]]:
        """Every call, oldest first: method, path, headers (lower-case names), json, status, fault,
        seq, received_at."""
        return self.state.requests()

    def behave(self, **changes: Any) -> dict[str, Any]:
        """Change behaviour (see Behaviour); answers the behaviour now in force."""
        return self.state.configure(changes)

    def reset(self) -> None:
        self.state.reset()
