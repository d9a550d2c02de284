"""A real SMTP server on localhost for the email channel's tests (aiosmtpd): it speaks SMTP as
any server does, keeps every mail it accepts, and refuses recipients as told, with the codes
real servers answer (550 5.1.1 unknown user, 451 4.7.1 try again later)."""

import socket
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

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
    def __init__(self) -> None:
        self.handler = _Handler()
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
