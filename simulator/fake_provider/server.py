"""The fake provider's HTTP server: one port speaking Twilio, Meta Graph and Telegram (their
paths do not collide) plus the control API under /_fake/.

The order of events for an API call is what makes exactly-once tests meaningful: the request is
recorded, a scripted fault may take over, otherwise the send is accepted (recorded with its id),
and only then comes the latency and the answer. A client that dies while waiting leaves an
accepted send it never heard about, as with a real provider.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import control, meta, telegram, twilio
from .client import wait_for_sends
from .meta_profiles import checked_profile
from .serving import BackgroundFake, FakeHandler
from .state import Behaviour, ProviderState
from .wire import ApiRequest, ApiResponse, json_response

PROVIDER_APIS: tuple[ModuleType, ...] = (twilio, meta, telegram)
KNOWN_ERRORS = (
    set(twilio.ERRORS) | set(meta.WHATSAPP_ERRORS) | set(meta.MESSENGER_ERRORS) | set(telegram.ERRORS)
)


def answer_api(request: ApiRequest, state: ProviderState) -> ApiResponse | None:
    """The response to one provider API call, after its latency; None to hang up unanswered."""
    claimed = next(((api, claim) for api in PROVIDER_APIS if (claim := api.claim(request))), None)
    if claimed is None:
        entry = state.record_request(None, "other", request)
        state.finish_request(entry, status=404)
        return json_response(
            404, {"error": f"fake provider: nothing answers {request.method} {request.path}"}
        )
    api, (provider, kind) = claimed
    entry = state.record_request(provider, kind, request)
    fault = state.next_fault(provider, kind)
    delay = state.latency_seconds()
    response: ApiResponse | None = None
    if fault in (None, "timeout", "lost"):
        response = api.handle(request, state)  # accepts the send now, before any waiting
        if fault == "timeout":
            delay = state.behaviour.timeout_seconds
    elif fault != "drop":
        response = _fault_response(api, fault, request, provider, state)
    state.finish_request(entry, fault=fault, accepted_id=response.accepted_id if response else None)
    if not state.sleep(delay):
        state.finish_request(entry, status="stopped")
        return None
    if fault in ("drop", "lost"):  # hang up: before accepting anything, or after accepting
        state.finish_request(entry, status="dropped")
        return None
    state.finish_request(entry, status=response.status if response else "dropped")
    return response


def _fault_response(
    api: ModuleType, fault: str, request: ApiRequest, provider: str, state: ProviderState
) -> ApiResponse:
    if api is meta:
        return meta.fault_response(fault, request, provider)
    if api is telegram:
        return telegram.fault_response(fault, request, state.behaviour.telegram_retry_after)
    return twilio.fault_response(fault, request)


class _Handler(FakeHandler):
    def answer(self, request: ApiRequest, state: ProviderState) -> ApiResponse | None:
        if request.path.startswith("/_fake/"):
            return control.handle(request, state)
        return answer_api(request, state)


class FakeProvider(BackgroundFake):
    """A local Twilio + Meta Graph + Telegram. In-process:

        with FakeProvider() as fake:
            settings.TWILIO_API_URL = fake.url
            ...
            assert fake.sends("twilio")[0]["body"] == "Hi"

    or `python -m simulator.fake_provider --port 0` for another process, driven with
    FakeProviderClient(url), which has the same control methods as this class.
    """

    handler = _Handler
    thread_name = "fake provider"

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        latency_ms: tuple[int, int] | list[int] = (0, 0),
        error_rate: float = 0.0,
        **behaviour: Any,
    ) -> None:
        initial = Behaviour().updated({"latency_ms": latency_ms, "error_rate": error_rate, **behaviour})
        super().__init__(port, host)
        self.state = ProviderState(initial, KNOWN_ERRORS)

    # --- the control methods; FakeProviderClient has the same ones over HTTP ---

    def sends(self, provider: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        """Accepted sends, oldest first: provider, id, to, body, media, status, raw, received_at,
        seq; `since` skips those up to that seq."""
        return self.state.sends(provider, since)

    def requests(self, provider: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        """Every API call, refused ones included (status, fault, accepted_id, seq)."""
        return self.state.requests(provider, since)

    def callbacks(self) -> list[dict[str, Any]]:
        """Webhooks the fake posted itself (Twilio status callbacks), with their outcome."""
        return self.state.callbacks()

    def reset(self) -> None:
        self.state.reset()

    def behave(self, **changes: Any) -> dict[str, Any]:
        """Change behaviour (see control.py for the keys); answers the behaviour now in force."""
        return self.state.configure(changes)

    def behaviour(self) -> dict[str, Any]:
        return self.state.describe_behaviour()

    def add_media(self, key: str, content: bytes, mime_type: str) -> dict[str, Any]:
        """Serve `content` as Twilio media, a Graph media id and a Telegram file_id all named
        `key`; answers their URLs and ids (twilio_url, graph_id, telegram_file_id, url…)."""
        return self.state.add_media(key, content, mime_type, self.url)

    def add_profile(self, user_id: str, *, kind: str = "messenger", **fields: Any) -> None:
        """Graph shows this customer: kind "messenger" (first_name, last_name, profile_pic) or
        "instagram" (name, username, profile_pic); see meta_profiles.py."""
        self.state.add_profile(user_id, checked_profile(kind, fields))

    def add_credentials(
        self,
        *,
        twilio: dict[str, str] | None = None,
        graph: list[str] | None = None,
        telegram: list[str] | None = None,
    ) -> None:
        """Accept more Twilio AccountSid -> AuthToken pairs, Graph tokens and bot tokens."""
        self.state.add_credentials(twilio, graph, telegram)

    def wait_for_sends(
        self, count: int, *, provider: str | None = None, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        return wait_for_sends(lambda: self.sends(provider), count, timeout)
