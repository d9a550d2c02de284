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
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from aiosmtpd.controller import Controller
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


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refusals: dict[str, str] = field(default_factory=dict)  # recipient -> the answer to RCPT

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refusals:
            return self.refusals[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Ok: queued"


class MailServer:
    """On `port` (the demo's, which its email inbox names), or on a free one."""

    def __init__(self, port: int = 0) -> None:
        self.handler = _Handler()
        self.port = port
        if not port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

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
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
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


class Dovecot:
    """A real IMAP server (Debian's dovecot-imapd, which .ci/run installs), a private instance
    under its own folder and port with one test mailbox: started for the tests, stopped after."""

    USER, PASSWORD = "support@parley.example", "imap-test-password"

    def __init__(self, root: Path) -> None:
        self.root = root
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
        conf.write_text(DOVECOT_CONF.format(root=self.root, port=self.port, user=user, group=group))
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
