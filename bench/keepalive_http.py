"""A load generator's HTTP/1.1 client: a pool of keep-alive connections to one server, each request
written as bytes encoded before the clock starts, each answer read to its end (Content-Length or
chunked). No Django, no third-party client.

Why not httpx: measured in bench/webhooks.py on this 2-core machine, httpx spent ~2.2 ms of CPU a
request (22% of a core at 100 requests/s, 42% at 150), on the same cores as the server it loads;
this spends a tenth of that, so the server under test keeps the machine it is measured on.
"""

import asyncio
from urllib.parse import urlsplit


class HTTPFailure(Exception):
    """The connection broke, or the server answered something that is not HTTP/1.1."""


def encode_request(method: str, url: str, body: bytes, headers: dict[str, str]) -> bytes:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Pool:
    """At most `size` requests in flight to `base` (http://host:port), on connections opened as
    needed and kept while the server keeps them."""

    def __init__(self, base: str, size: int, timeout: float) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.slots = asyncio.Semaphore(size)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(self, raw: bytes) -> int:
        """Send one encoded request and read its whole answer; returns the status code."""
        async with self.slots:
            if self.idle:
                reader, writer = self.idle.pop()
            else:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                writer.write(raw)
                status, keep = await asyncio.wait_for(_read_answer(reader), self.timeout)
            except BaseException:
                writer.close()
                raise
            if keep:
                self.idle.append((reader, writer))
            else:
                writer.close()
            return status

    async def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The answer's status, and whether its connection may carry another request."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    if not status_line.startswith("HTTP/1."):
        raise HTTPFailure(f"not an HTTP answer: {status_line[:80]!r}")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)  # the chunk and its CRLF
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection", "").lower() != "close"
