"""The fake provider's HTTP server: one port speaking Twilio, Meta Graph and Telegram (their
paths do not collide) plus the control API under /_fake/.

The order of events for an API call is what makes exactly-once tests meaningful: the request is
recorded, a scripted fault may take over, otherwise the send is accepted (recorded with its id),
and only then comes the latency and the answer. A client that dies while waiting leaves an
accepted send it never heard about, as with a real provider.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType, TracebackType
from typing import Any

from . import control, meta, telegram, twilio
from .client import wait_for_sends
from .state import Behaviour, ProviderState
from .wire import ApiRequest, ApiResponse, json_response, parse_request

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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # benchmarks open many connections at once
    state: ProviderState
    base_url: str


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections to real providers
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK would add
    # some 40 ms to every answer on a kept-alive connection.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests and benchmarks read /_fake/requests, not a log of every call

    def _serve(self) -> None:
        body = self._read_body()
        state = self.server.state
        request = parse_request(
            self.command, self.path, dict(self.headers.items()), body, self.server.base_url
        )
        if request.path.startswith("/_fake/"):
            response: ApiResponse | None = control.handle(request, state)
        else:
            response = answer_api(request, state)
        if response is None:
            self.close_connection = True
            return
        self._write(response)
        for later in response.after:
            later()

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""
        chunks = []  # a streamed upload: size line, chunk, CRLF, until a zero size
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline().strip():
            pass  # trailers
        return b"".join(chunks)

    def _write(self, response: ApiResponse) -> None:
        content_type = response.content_type
        if content_type == "application/json":
            content_type += "; charset=utf-8"
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting; the send still stands


class FakeProvider:
    """A local Twilio + Meta Graph + Telegram. In-process:

        with FakeProvider() as fake:
            settings.TWILIO_API_URL = fake.url
            ...
            assert fake.sends("twilio")[0]["body"] == "Hi"

    or `python -m simulator.fake_provider --port 0` for another process, driven with
    FakeProviderClient(url), which has the same control methods as this class.
    """

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
        self.state = ProviderState(initial, KNOWN_ERRORS)
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake provider has not been started")
        return self._server.base_url

    def start(self) -> FakeProvider:
        self.state.stopping.clear()
        server = _Server(self._address, _Handler)
        host, port = server.server_address[:2]
        server.state = self.state
        server.base_url = f"http://{host}:{port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-provider", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops listening and wakes every call sleeping in latency or a scripted timeout."""
        self.state.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeProvider:
        return self.start() if self._server is None else self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

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
