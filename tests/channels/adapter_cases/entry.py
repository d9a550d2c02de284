"""What an adapter's contract entry is made of, and the helpers entries are written with."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

import pytest
from django.http import HttpResponse
from django.test import Client

from conversations.models import Inbox, Message
from simulator.fake_provider import FakeProvider, webhooks
from tests.channels.conftest import PUBLIC_URL
from tests.channels.worker import applied
from tests.outbound_webhooks.receiver import Answer, Receiver

# --- what an entry is made of ---


@dataclass(frozen=True)
class SignedPost:
    """A POST as the sender makes it: where, the exact bytes, and its headers (Content-Type and
    whatever proves the sender: a signature, a secret token, the API channel's bearer token)."""

    path: str
    body: bytes
    headers: Mapping[str, str]

    def post(self, client: Client | None = None) -> HttpResponse:
        headers = dict(self.headers)
        content_type = headers.pop("Content-Type")
        # The view only stores the receipts; the worker's drain applies them.
        return applied(
            (client or Client()).post(self.path, data=self.body, content_type=content_type, headers=headers)
        )

    def with_header(self, name: str, value: str | None) -> "SignedPost":
        """The same post with header `name` set to `value`, or left out when `value` is None."""
        headers = {key: given for key, given in self.headers.items() if key != name}
        return replace(self, headers=headers if value is None else {**headers, name: value})


MakePost = Callable[[Inbox], SignedPost]  # may change the inbox first (another secret, none at all)


@dataclass(frozen=True)
class Sample:
    make: MakePost
    body: str | None = None  # the message's text once stored, where the old tests pinned it


@dataclass(frozen=True)
class Forgery:
    make: MakePost
    refused_with: int | None = None  # when not the entry's own refusal status


@dataclass(frozen=True)
class Inbound:
    """How a customer's message reaches the adapter, signed; and how a forgery looks."""

    inbox: str  # the fixture that makes the inbox (tests/channels/conftest.py)
    samples: Mapping[str, Sample]  # every signed post the adapter must accept and store
    replayed: str  # the sample the replay tests post again and again
    signature_header: str  # the suite also posts each sample without it, and with `wrong_signature`
    wrong_signature: str
    forgeries: Mapping[str, Forgery] = field(default_factory=dict)  # beyond those two
    refused_with: int = 403
    answers: tuple[int, int] = (200, 200)  # to the first post, and to each replay of it
    keeps_receipts: bool = True  # a WebhookReceipt per event (the API channel stores directly)
    before: Callable[[Inbox], None] | None = None  # what must exist before a customer writes


@dataclass(frozen=True)
class Failure:
    code: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class StatusReports:
    """How the provider reports what became of a reply it accepted."""

    inbox: str
    customer: str
    provider_message_id: str  # what the provider called the reply it accepted
    statuses: frozenset[str]  # which of sent, delivered, read, failed the provider reports
    report: Callable[[Inbox, Message, str], SignedPost]  # a signed report of one of those
    failure: Failure | None = None  # what a failed report says


@dataclass(frozen=True)
class NoStatusReports:
    """The provider sends no delivery reports; `why` says so for the next reader."""

    why: str


class Endpoint(Protocol):
    """Where sends go, seen from the test: what it accepted, and how many send calls it took."""

    def accepted(self) -> list[Any]: ...

    def calls(self) -> int: ...


Arrange = Callable[[Any, Inbox], None]  # (the case's endpoint, the sending inbox)


def nothing(endpoint: Any, inbox: Inbox) -> None:
    pass


@dataclass(frozen=True)
class Refusal:
    arrange: Arrange
    code: str
    words: tuple[str, ...]
    whole: bool = False  # the words are the whole reason, not a part of it
    calls: int = 1  # send calls the endpoint took before the message failed
    customer: str | None = None  # a reply to someone else than the entry's customer


@dataclass(frozen=True)
class Retry:
    arrange: Arrange
    words: str = ""  # in the outbox's last_error
    code: str = ""  # the retried attempt's error code, where the old tests named it
    retry_after: float | None = None  # the provider's; otherwise the first backoff step, 1-2 s


class Settled(StrEnum):
    FOUND = "found at the provider"  # the retry asks the provider, which has it: sent once
    CANNOT_TELL = "cannot tell"  # nobody can ask: the message fails saying so, never resent
    SENT_AGAIN = "sent again"  # the receiver dedupes every try, so sending again is safe


@dataclass(frozen=True)
class LostAnswer:
    arrange: Arrange
    settled: Settled
    words: tuple[str, ...] = ()  # the failure's reason, for CANNOT_TELL


@dataclass(frozen=True)
class Sending:
    """How a reply goes out, and how the provider is made to refuse it, for good or for now, or
    to lose its answer."""

    inbox: str
    customer: str
    endpoint: Callable[[pytest.FixtureRequest], Endpoint]
    provider_id: Callable[[Message, Any], str]  # the message's provider id, given its accepted send
    refusals: Mapping[str, Refusal]
    retries: Mapping[str, Retry]
    lost_answer: LostAnswer


Tap = Callable[[Message, Any, str], SignedPost]  # (the sent message, its accepted send, an action id)


@dataclass(frozen=True)
class Buttons:
    """How the channel draws the replies a message offers (Message.actions), and how a tap on
    one comes back; test_adapter_buttons.py holds each entry to it."""

    limit: int  # conversations.capabilities: at most this many offered replies go as buttons
    title_length: int | None  # a longer title is shortened on its button (None: shown whole)
    drawn: Callable[[Any], list[dict[str, str]]]  # the accepted send's buttons as {"id", "title"}
    tap: Tap  # the customer taps the button of that action on the sent message, as posted


@dataclass(frozen=True)
class NoButtons:
    """The channel draws no buttons; `why` says what happens instead."""

    why: str


@dataclass(frozen=True)
class AdapterCase:
    name: str
    adapter: type
    channel_type: str
    inbound: Inbound
    statuses: StatusReports | NoStatusReports
    sending: Sending
    buttons: Buttons | NoButtons

    def __str__(self) -> str:
        return self.name


# --- endpoints and what they are told to do ---


@dataclass
class FakeApi:
    """One provider's API on the fake provider ("twilio", "whatsapp", "messenger", "telegram")."""

    fake: FakeProvider
    api: str

    def accepted(self) -> list[dict]:
        return self.fake.sends(self.api)

    def calls(self) -> int:
        return len(self.fake.requests(self.api))


def on_fake(api: str) -> Callable[[pytest.FixtureRequest], FakeApi]:
    return lambda request: FakeApi(request.getfixturevalue("fake_provider"), api)


@dataclass
class BusinessEndpoint:
    """The API channel's "provider": the business's webhook URL. A send is accepted when its
    answer is a 2xx, even one that arrives too late to be heard."""

    receiver: Receiver
    scripted: list[Answer] = field(default_factory=list)

    def accepted(self) -> list[Any]:
        return [
            sent for number, sent in enumerate(self.receiver.requests) if 200 <= self.answer(number) < 300
        ]

    def answer(self, number: int) -> int:
        """The status the business answered its request `number` with (0-based)."""
        return (self.scripted[number] if number < len(self.scripted) else self.receiver.default).status

    def calls(self) -> int:
        return len(self.receiver.requests)


def fault(respond: str) -> Arrange:
    """The fake provider answers the case's next send with `respond` ("429", "timeout", "error:…")."""
    return lambda endpoint, inbox: endpoint.fake.behave(script=[{"match": endpoint.api, "respond": respond}])


def behaviour(**how: Any) -> Arrange:
    """The fake provider behaves as `how` says (FakeProvider.behave: blocked chats, and so on)."""
    return lambda endpoint, inbox: endpoint.fake.behave(**how)


def business_answers(*answers: Answer) -> Arrange:
    def arrange(endpoint: BusinessEndpoint, inbox: Inbox) -> None:
        endpoint.scripted += answers
        endpoint.receiver.answer(*answers)

    return arrange


def inbox_config(**changes: str | None) -> Callable[[Inbox], None]:
    """The inbox's config with `changes` (None takes a setting out)."""

    def change(inbox: Inbox) -> None:
        config = {**inbox.config, **changes}
        inbox.config = {name: value for name, value in config.items() if value is not None}
        inbox.save()

    return change


def configured(**changes: str | None) -> Arrange:
    """Before sending: the sending inbox's config with `changes` (a revoked token, no URL)."""
    change = inbox_config(**changes)
    return lambda endpoint, inbox: change(inbox)


def sent_as(message: Message, send: dict) -> str:
    """The message's provider id is the id the provider's API answered with."""
    return send["id"]


# --- posts, as each provider signs them ---


def signed(path: str, provider: str, body: Any, secret: str) -> SignedPost:
    """A post the fake provider's signer signs for the public URL of `path` (simulator/fake_provider/
    webhooks.py: it reproduces every fixture vector byte for byte)."""
    content, headers = webhooks.signed_request(PUBLIC_URL + path, provider, body, secret)
    return SignedPost(path, content, headers)


def changed(make: MakePost, **post: Any) -> MakePost:
    return lambda inbox: replace(make(inbox), **post)


def after(arrange: Callable[[Inbox], None], make: MakePost) -> MakePost:
    def forged(inbox: Inbox) -> SignedPost:
        arrange(inbox)
        return make(inbox)

    return forged


def wrong_secret(setting: str, make: MakePost) -> Forgery:
    """The genuine post, to an inbox whose secret is another: it must not verify."""
    return Forgery(after(inbox_config(**{setting: "f" * 32}), make))
