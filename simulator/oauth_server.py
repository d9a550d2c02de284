"""A mail provider's OAuth 2.0 authorization server on localhost, for the email channel's tests:
a token endpoint speaking RFC 6749's wire format (a form-encoded POST; a JSON answer with
access_token, expires_in and token_type; a 400 or 401 with {"error", "error_description"}) and
an introspection endpoint (RFC 7662) that Dovecot's oauth2 passdb asks about the tokens clients
sign in with, as a real server's mail front end asks its identity platform.

    server = OAuthServer(username="support@parley.example").start()
    refresh_token = server.grant()             # what the mailbox's owner consented to
    server.revoke(refresh_token)               # the owner withdrew it: invalid_grant from now on
    server.lifetime, server.rotate = 60, True  # short tokens; a new refresh token with each

Tokens expire by time.time(), so a test that moves the clock (time-machine) expires them here too.
"""

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class OAuthServer:
    username: str  # the mailbox every token grants
    client_id: str = field(default_factory=lambda: f"client-{secrets.token_hex(6)}")
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    scope: str = "https://outlook.office365.com/.default"  # what the client-credentials grant asks
    lifetime: int = 3600  # expires_in of the tokens issued from now on
    rotate: bool = False  # issue a new refresh token with each refresh (Microsoft does)
    token_requests: list[dict[str, str]] = field(default_factory=list)  # every form posted to /token

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._refresh_tokens: set[str] = set()
        self._access_tokens: dict[str, float] = {}  # token -> expires at
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="oauth-server", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    @property
    def introspection_url(self) -> str:
        return f"{self.url}/introspect"

    def start(self) -> "OAuthServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "OAuthServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def grant(self) -> str:
        """A new refresh token, as the mailbox owner's consent gives one."""
        token = f"1//{secrets.token_urlsafe(32)}"
        with self._lock:
            self._refresh_tokens.add(token)
        return token

    def revoke(self, refresh_token: str) -> None:
        with self._lock:
            self._refresh_tokens.discard(refresh_token)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working at once (as a password change does)."""
        with self._lock:
            self._access_tokens.clear()

    def active(self, access_token: str) -> bool:
        """Whether `access_token` was issued here and has not expired."""
        with self._lock:
            return self._access_tokens.get(access_token, 0) > time.time()

    def token_answer(self, form: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            self.token_requests.append(form)
            if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
                return 401, {"error": "invalid_client", "error_description": "Client authentication failed."}
            grant_type = form.get("grant_type")
            answer: dict = {}
            if grant_type == "refresh_token":
                if form.get("refresh_token") not in self._refresh_tokens:
                    return 400, {
                        "error": "invalid_grant",
                        "error_description": "Token has been expired or revoked.",
                    }
                if self.rotate:
                    self._refresh_tokens.discard(form["refresh_token"])
                    answer["refresh_token"] = f"1//{secrets.token_urlsafe(32)}"
                    self._refresh_tokens.add(answer["refresh_token"])
            elif grant_type == "client_credentials":
                if form.get("scope") != self.scope:
                    return 400, {"error": "invalid_scope", "error_description": f"Ask for {self.scope}."}
            else:
                return 400, {"error": "unsupported_grant_type", "error_description": f"{grant_type!r}"}
            access_token = f"ya29.{secrets.token_urlsafe(32)}"
            self._access_tokens[access_token] = time.time() + self.lifetime
        return 200, {
            "access_token": access_token,
            "expires_in": self.lifetime,
            "token_type": "Bearer",
            **answer,
        }

    def introspection_answer(self, form: dict[str, str]) -> dict:
        token = form.get("token", "")
        if not self.active(token):
            return {"active": False}
        return {"active": True, "username": self.username, "client_id": self.client_id}


def _handler_for(server: OAuthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = {name: values[0] for name, values in parse_qs(body).items()}
            if self.path == "/token":
                status, answer = server.token_answer(form)
            elif self.path == "/introspect":
                status, answer = 200, server.introspection_answer(form)
            else:
                status, answer = 404, {"error": "not_found"}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:  # quiet: the tests assert on what came
            pass

    return Handler
