"""A business's webhook endpoint for the tests: a real HTTP server on 127.0.0.1 (stdlib only) that
records every request and answers as scripted, so deliveries go through real httpx and sockets.

    receiver.answer(Answer(500), Answer(200, delay=1.0))  # the next two requests, in order
    receiver.default = Answer(500)                        # every request after the script
    gate = receiver.hold()                                # requests wait until gate.set()
"""

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    status: int = 200
    delay: float = 0.0
    body: bytes = b'{"ok": true}'


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclass
class Receiver:
    default: Answer = field(default_factory=Answer)
    requests: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._script: deque[Answer] = deque()
        self._lock = threading.Condition()
        self._gate: threading.Event | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-receiver", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/hooks/parley"

    def answer(self, *answers: Answer) -> None:
        with self._lock:
            self._script.extend(answers)

    def hold(self) -> threading.Event:
        """Make requests wait (after being recorded) until the returned event is set."""
        self._gate = threading.Event()
        return self._gate

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Block until `count` requests have arrived; returns them."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} requests, got {len(self.requests)}")
                self._lock.wait(remaining)
            return list(self.requests)

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._gate is not None:
            self._gate.set()
        self._server.shutdown()
        self._server.server_close()

    def _take(self, request: Received) -> tuple[Answer, threading.Event | None]:
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()
            return (self._script.popleft() if self._script else self.default), self._gate


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer, gate = receiver._take(Received("POST", self.path, headers, body))
            if gate is not None:
                gate.wait(timeout=30)
            time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except OSError:
                pass  # the client gave up waiting (a timeout under test): nobody reads the answer

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    return Handler
