"""Real mail servers on localhost for the email channel's tests and benchmark: an SMTP server (aiosmtpd) that
speaks SMTP as any server does, keeps every mail it accepts and refuses recipients as told, with
the codes real servers answer (550 5.1.1 unknown user, 451 4.7.1 try again later); and an IMAP
server (Dovecot) with a mailbox the tests deliver into."""

import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from base64 import b64decode
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from imapclient import IMAPClient


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes
    at: float = field(default_factory=time.time)  # when the server took it

    @property
    def mail(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.raw)


# What Gmail sends before refusing a bearer token (RFC 7628 3.2.2's error challenge).
XOAUTH2_ERROR = b'{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}'


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refusals: dict[str, str] = field(default_factory=dict)  # recipient -> the answer to RCPT
    accept_bearer: Callable[[str, str], bool] | None = None  # (user, access token) -> accepted
    signed_in: list[str] = field(default_factory=list)  # who signed in by XOAUTH2, in order

    async def auth_XOAUTH2(self, server, args: list[str]) -> AuthResult:
        """SASL XOAUTH2 as Gmail and Exchange Online take it: the client's first message
        ("user=…^Aauth=Bearer …^A^A", base64) with AUTH or after an empty challenge; a refusal
        is an error challenge the client answers with an empty line, then 535."""
        if len(args) > 1:
            message = b64decode(args[1])
        else:
            message = await server.challenge_auth("")
            if not isinstance(message, bytes):
                return AuthResult(success=False, handled=True)
        fields = dict(part.split("=", 1) for part in message.decode().split("\x01") if "=" in part)
        user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
        if self.accept_bearer is not None and self.accept_bearer(user, token):
            self.signed_in.append(user)
            return AuthResult(success=True)
        await server.challenge_auth(XOAUTH2_ERROR)
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted."
        )

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refusals:
            return self.refusals[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Ok: queued"


class MailServer:
    """On `port` (the demo's, which its email inbox names), or on a free one. With
    `accept_bearer`, it offers AUTH XOAUTH2 (without TLS: a test's localhost) and lets in whom
    that says yes to."""

    def __init__(self, port: int = 0, *, accept_bearer: Callable[[str, str], bool] | None = None) -> None:
        self.handler = _Handler(accept_bearer=accept_bearer)
        self.port = port
        if not port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
        auth = (
            {"auth_require_tls": False, "auth_exclude_mechanism": ["PLAIN", "LOGIN"]}
            if accept_bearer
            else {"auth_exclude_mechanism": ["XOAUTH2"]}
        )
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **auth)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def signed_in(self) -> list[str]:
        return self.handler.signed_in

    def refuse(self, recipient: str, answer: str) -> None:
        self.handler.refusals[recipient.lower()] = answer

    def __enter__(self) -> "MailServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


DOVECOT_CONF = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
instance_name = parley-test-{port}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
# a refused sign-in is answered at once (the tests refuse some on purpose)
auth_failure_delay = 0
auth_mechanisms = plain login{oauth2_mechanisms}
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
{oauth2_passdb}passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""

# Sign-in by OAuth 2.0 (SASL XOAUTH2 and OAUTHBEARER): Dovecot asks the authorization server
# about each token (RFC 7662 introspection, a form-encoded POST) and takes it if it is active and
# names the user signing in.
DOVECOT_OAUTH2_PASSDB = """passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/dovecot-oauth2.conf.ext
}}
"""
DOVECOT_OAUTH2_CONF = """introspection_mode = post
introspection_url = {introspection_url}
username_attribute = username
active_attribute = active
active_value = true
"""


class Dovecot:
    """A real IMAP server (Debian's dovecot-imapd, which .ci/run installs), a private instance
    under its own folder and port with one test mailbox: started for the tests, stopped after."""

    USER, PASSWORD = "support@parley.example", "imap-test-password"

    def __init__(self, root: Path, *, oauth2_introspection_url: str = "") -> None:
        """With `oauth2_introspection_url`, the mailbox also takes XOAUTH2 with the tokens that
        authorization server says are active (simulator/oauth_server.py)."""
        self.root = root
        self.oauth2_introspection_url = oauth2_introspection_url
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Dovecot":
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        for folder in ("run", "state", "mail"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        (self.root / "users").write_text(f"{self.USER}:{{PLAIN}}{self.PASSWORD}\n")
        user, group = (
            ("nobody", "nogroup")
            if os.geteuid() == 0
            else (pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name)
        )
        if os.geteuid() == 0:
            shutil.chown(self.root / "mail", user, group)
        conf = self.root / "dovecot.conf"
        oauth2 = bool(self.oauth2_introspection_url)
        if oauth2:
            (self.root / "dovecot-oauth2.conf.ext").write_text(
                DOVECOT_OAUTH2_CONF.format(introspection_url=self.oauth2_introspection_url)
            )
        conf.write_text(
            DOVECOT_CONF.format(
                root=self.root,
                port=self.port,
                user=user,
                group=group,
                oauth2_mechanisms=" xoauth2 oauthbearer" if oauth2 else "",
                oauth2_passdb=DOVECOT_OAUTH2_PASSDB.format(root=self.root) if oauth2 else "",
            )
        )
        self.process = subprocess.Popen(  # noqa: S603 (Debian's dovecot, our own config)
            [binary, "-F", "-c", str(conf)], stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()}") from None
                time.sleep(0.05)
        raise RuntimeError("dovecot did not start listening")

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def client(self) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(self.USER, self.PASSWORD)
        return client

    def deliver(self, *raws: bytes, folder: str = "INBOX") -> None:
        """Put mails in the mailbox as a mail server would (IMAP APPEND)."""
        with self.client() as client:
            for raw in raws:
                client.append(folder, raw)

    def config(self) -> dict:
        """An email inbox's IMAP settings for this server."""
        return {
            "imap_host": "127.0.0.1",
            "imap_port": self.port,
            "imap_security": "none",
            "imap_username": self.USER,
            "imap_password": self.PASSWORD,
        }
