"""What the local fakes (fake_provider, fake_chat) share: a request handler that reads a call as
wire.ApiRequest and writes the ApiResponse the fake answers; an HTTP server on a daemon thread
that listens on a free port when asked for port 0, stops by waking every call its state holds
back, and works as a context manager; and the foreground loop of their `python -m` entry points."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, ClassVar, Self

from .wire import ApiRequest, ApiResponse, parse_request


class FakeHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # benchmarks open many connections at once
    state: Any  # the fake's state: its handlers read it, stop() sets its `stopping` event
    root_url: str  # http://host:port


class FakeHandler(BaseHTTPRequestHandler):
    """Serves one fake: subclasses say what `answer` returns for a request; None hangs up without
    an answer (a dropped connection), and a response's `after` callbacks run once it is written."""

    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections to real providers
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK would add
    # some 40 ms to every answer on a kept-alive connection.
    disable_nagle_algorithm = True
    server: FakeHttpServer

    def answer(self, request: ApiRequest, state: Any) -> ApiResponse | None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests and benchmarks read the fake's recorded requests, not a log line per call

    def _serve(self) -> None:
        body = self._read_body()
        request = parse_request(
            self.command, self.path, dict(self.headers.items()), body, self.server.root_url
        )
        response = self.answer(request, self.server.state)
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
            self.close_connection = True  # the client gave up waiting; what it asked for still stands


class BackgroundFake:
    """A fake served on a daemon thread. Subclasses name their `handler` and `thread_name` and set
    `self.state` (with a `stopping` threading.Event) before start()."""

    handler: ClassVar[type[FakeHandler]]
    thread_name: ClassVar[str]
    state: Any

    def __init__(self, port: int, host: str) -> None:
        self._address = (host, port)
        self._server: FakeHttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"the {self.thread_name} has not been started")
        return self._server.root_url

    def start(self) -> Self:
        self.state.stopping.clear()
        server = FakeHttpServer(self._address, self.handler)
        host, port = server.server_address[:2]
        server.state, server.root_url = self.state, f"http://{host}:{port}"
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops listening and wakes every call the fake holds back (latency, a scripted delay)."""
        self.state.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start() if self._server is None else self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def serve_until_signalled(fake: BackgroundFake, announce: Callable[[], str]) -> None:
    """Start `fake`, print announce() (where to reach it) as stdout's first line for the parent
    process, and serve until SIGTERM or Ctrl-C."""
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    fake.start()
    print(announce(), flush=True)
    while not stopping.wait(0.5):
        pass  # a timed wait lets the signal handlers run promptly
    fake.stop()
