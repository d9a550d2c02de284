"""HTTP primitives shared by the fake provider's APIs: a parsed request and a response to write.

Kept free of http.server so each provider module can be read (and tested) as plain functions
from an `ApiRequest` to an `ApiResponse`.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, parse_qsl


@dataclass
class ApiRequest:
    """One request as the provider saw it. Header names are lower-cased (HTTP says they are
    case-insensitive; clients differ in how they spell them)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    base_url: str
    form: list[tuple[str, str]] | None = None
    json: Any = None
    files: list[dict[str, Any]] = field(default_factory=list)

    def param(self, name: str, default: str = "") -> str:
        """A form or query value: providers such as Telegram accept either."""
        for key, value in self.form or ():
            if key == name:
                return value
        values = self.query.get(name)
        return values[0] if values else default

    def form_values(self, name: str) -> list[str]:
        return [value for key, value in self.form or () if key == name]

    def raw(self) -> dict[str, Any]:
        """What a test may want to inspect afterwards, JSON-serialisable."""
        raw: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
        }
        if self.form is not None:
            raw["form"] = _grouped(self.form)
        if self.json is not None:
            raw["json"] = self.json
        if self.files:
            raw["files"] = self.files
        if self.form is None and self.json is None and self.body:
            raw["body"] = self.body.decode("utf-8", errors="replace")
        return raw


@dataclass
class ApiResponse:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # Run once the answer is written: what a provider does "a moment later" (status callbacks).
    after: list[Callable[[], None]] = field(default_factory=list)
    accepted_id: str | None = None


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> ApiResponse:
    body = json.dumps(payload, indent=1, ensure_ascii=False).encode()
    return ApiResponse(status=status, body=body, headers=dict(headers or {}))


def parse_request(
    method: str, target: str, headers: dict[str, str], body: bytes, base_url: str
) -> ApiRequest:
    path, _, query_string = target.partition("?")
    request = ApiRequest(
        method=method,
        path=path,
        query=parse_qs(query_string, keep_blank_values=True),
        headers={name.lower(): value for name, value in headers.items()},
        body=body,
        base_url=base_url,
    )
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        request.form = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    elif content_type == "application/json" and body:
        try:
            request.json = json.loads(body)
        except ValueError:
            request.json = None  # the provider module answers its own "bad JSON" error
    elif content_type == "multipart/form-data":
        request.form, request.files = _multipart(request.headers["content-type"], body)
    return request


def _multipart(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """Text fields and file metadata from a multipart body. The email parser copes with MIME
    multipart, and the cgi module it would otherwise be is gone from newer Pythons."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: list[tuple[str, str]] = []
    files: list[dict[str, Any]] = []
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition") or ""
        filename = part.get_filename()
        content = part.get_payload(decode=True) or b""
        if filename is None:
            fields.append((str(name), content.decode("utf-8", errors="replace")))
            continue
        files.append(
            {
                "field": str(name),
                "filename": filename,
                "content_type": part.get_content_type(),
                "size": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        )
    return fields, files


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return grouped


def random_token(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_wamid() -> str:
    # Real wamids are base64 of a binary record that starts with these bytes ("HBgL").
    return "wamid.HBgL" + base64.b64encode(secrets.token_bytes(36)).decode()


def new_mid() -> str:
    return "m_" + base64.urlsafe_b64encode(secrets.token_bytes(63)).decode().rstrip("=")
