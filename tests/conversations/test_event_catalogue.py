"""One catalogue of events (conversations.event_catalogue): what the code sends, what the sockets
handle, what webhooks offer and what the docs describe are the same set.

What is sent is read from the code itself: every module that speaks events (imports the core's
events or the catalogue, or sends to a socket or the channel layer) is parsed, and each `type` it
puts in an event must be a catalogue name. So a new `{"type": "agent.waving"}` anywhere fails here
before any client sees it; publish_on_commit refuses it at run time as well.
"""

import ast
import importlib
import re
from collections.abc import Iterator
from importlib.util import resolve_name
from pathlib import Path
from typing import Any

import pytest

from conversations import events
from conversations.event_catalogue import (
    CATALOGUE,
    REQUESTS,
    Audience,
    EventType,
    Request,
    Route,
    UncataloguedEvent,
    types_for,
)
from customer_clients.consumers import ClientConsumer
from desk.consumers import DeskConsumer
from outbound_webhooks.models import PING
from outbound_webhooks.models import EventType as WebhookEventType

ROOT = Path(__file__).resolve().parents[2]
APP_PACKAGES = (
    "conversations", "agents", "desk", "customer_clients", "outbound_webhooks", "channels_in", "simulator",
    "api", "api_common", "answerbot", "reports", "config",
)  # fmt: skip
SENDING_CALLS = {
    "send_event",
    "group_send",
    "publish_on_commit",
    "conversation_event",
    "refuse",
    "error_event",
}
EVENT_MODULES = {"conversations.events", "conversations.event_catalogue"}
# Literals still typed at the call site, in modules this change did not touch: they are catalogued,
# and should become EventType names (then leave this list).
LAYER_ROUTES = (Route.COMMITTED, Route.EPHEMERAL)
SOCKETS = {Audience.DESK: DeskConsumer, Audience.CUSTOMER: ClientConsumer}


# --- what the code sends ---


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports_events(tree: ast.Module, path: Path) -> bool:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = resolve_name("." * node.level + (node.module or ""), package)
            if ({base} | {f"{base}.{alias.name}" for alias in node.names}) & EVENT_MODULES:
                return True
        elif isinstance(node, ast.Import) and {alias.name for alias in node.names} & EVENT_MODULES:
            return True
    return False


def _calls_a_sender(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
            if name in SENDING_CALLS or (
                name == "submit"
                and isinstance(function, ast.Attribute)
                and "publisher" in ast.unparse(function)
            ):
                return True
    return False


def event_speaking_modules() -> Iterator[tuple[Path, str, ast.Module]]:
    for package in APP_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            if _imports_events(tree, path) or _calls_a_sender(tree):
                yield path, _module_name(path), tree


def sent_types(tree: ast.Module) -> Iterator[tuple[int, ast.expr]]:
    """Every expression a module puts as an event's type: the value of a dict's "type" key, and
    the type conversation_event is given."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "type":
                    yield node.lineno, value
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
            if name == "conversation_event":
                yield node.lineno, node.args[0]


def resolve(expression: ast.expr, module: Any) -> str | None:
    """The string an expression names, when it can be known without running the code: a literal,
    a module-level name, or an attribute of one (EventType.X, events.X). None: a value passed
    through (an event's own type, a parameter)."""
    if isinstance(expression, ast.Constant):
        return expression.value if isinstance(expression.value, str) else None
    if isinstance(expression, ast.Name):
        value = getattr(module, expression.id, None)
    elif isinstance(expression, ast.Attribute) and isinstance(expression.value, ast.Name):
        value = getattr(getattr(module, expression.value.id, None), expression.attr, None)
    else:
        return None
    return value if isinstance(value, str) else None


def test_every_type_the_code_sends_is_a_catalogue_name():
    scanned, problems = [], []
    for path, module_name, tree in event_speaking_modules():
        module = importlib.import_module(module_name)
        relative = path.relative_to(ROOT).as_posix()
        scanned.append(relative)
        for line, expression in sent_types(tree):
            value = resolve(expression, module)
            if value is None or value.startswith("websocket."):  # ASGI's own messages to the server
                continue
            where = f"{relative}:{line}"
            if value not in CATALOGUE:
                problems.append(f"{where}: {value!r} is not in conversations.event_catalogue")
            elif isinstance(expression, ast.Constant):
                problems.append(
                    f"{where}: {value!r} typed at the call site; use EventType.{EventType(value).name}"
                )
    assert problems == []
    # The scan reached the publishers and both sockets (a scan that finds nothing proves nothing).
    assert {
        "conversations/services/appending.py",
        "conversations/sockets.py",
        "desk/consumers.py",
        "agents/presence.py",
        "agents/services.py",
        "customer_clients/consumers.py",
        "outbound_webhooks/payloads.py",
    } <= set(scanned)


def test_every_catalogued_type_is_sent_by_some_code():
    named = set()
    for _, module_name, tree in event_speaking_modules():
        module = importlib.import_module(module_name)
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in EventType.__members__:
                named.add(EventType[node.attr])
        named |= {value for _, expression in sent_types(tree) if (value := resolve(expression, module))}
    assert set(EventType) - named == set()


@pytest.mark.parametrize(
    "event",
    [
        {"type": "agent.waving", "conversation_id": 1},  # not in the catalogue
        {"type": EventType.HELLO, "protocol": 1},  # a socket's own frame, never the layer's
    ],
)
def test_publishing_what_the_catalogue_does_not_declare_for_the_layer_is_refused(event):
    with pytest.raises(UncataloguedEvent):
        events.publish_on_commit(event, groups=["inbox.1"])
    with pytest.raises(UncataloguedEvent):
        events.publisher.submit(("inbox.1",), event)


# --- who receives it ---


@pytest.mark.parametrize("audience", SOCKETS)
def test_each_socket_handles_exactly_the_layer_events_the_catalogue_sends_it(audience):
    consumer = SOCKETS[audience]
    layer_types = {event_type for event_type, spec in CATALOGUE.items() if spec.route in LAYER_ROUTES}
    expected = {t for t in layer_types if (CATALOGUE[t].audience | CATALOGUE[t].heard_by) & audience}
    assert consumer.hears == expected


@pytest.mark.parametrize("audience", SOCKETS)
def test_each_socket_accepts_exactly_the_requests_the_catalogue_gives_it(audience):
    accepted = set(SOCKETS[audience]().handlers())
    assert accepted == {request for request, sockets in REQUESTS.items() if sockets & audience}
    assert all(isinstance(request, Request) for request in accepted)  # names, not literals


def test_webhook_subscribers_are_offered_exactly_the_catalogued_webhook_events():
    assert set(WebhookEventType.values) == types_for(Audience.WEBHOOK, *LAYER_ROUTES)
    assert types_for(Audience.WEBHOOK, Route.DIRECT) == {PING}


# --- the docs say the same ---


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    following = re.search(r"\n## ", text[start + len(heading) + 2 :])
    return text[start : start + len(heading) + 2 + following.start()] if following else text[start:]


def _documented(name: str, text: str) -> bool:
    return f"`{name}`" in text or f'"type": "{name}"' in text


def _table_rows(text: str) -> set[str]:
    return set(re.findall(r"^\| `([a-z._]+)` \|", text, flags=re.MULTILINE))


PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()
CLIENT_PART = PROTOCOL[: PROTOCOL.index("\n## Agent desk socket\n")]
DESK_PART = _section(PROTOCOL, "## Agent desk socket")


def test_every_event_a_customer_receives_is_in_protocol_md():
    listed = _table_rows(_section(CLIENT_PART, "## Server → client events"))
    for event_type in sorted(types_for(Audience.CUSTOMER)):
        if CATALOGUE[event_type].route in LAYER_ROUTES:
            assert event_type in listed, f"{event_type} missing from the server → client events table"
        else:
            assert _documented(event_type, CLIENT_PART), f"{event_type} not in docs/protocol.md"
    requests = _table_rows(_section(CLIENT_PART, "## Client → server messages"))
    assert requests == {request for request, sockets in REQUESTS.items() if sockets & Audience.CUSTOMER}


def test_every_event_the_desk_receives_is_in_protocol_md():
    missing = [
        event_type for event_type in types_for(Audience.DESK) if not _documented(event_type, DESK_PART)
    ]
    assert missing == [], "not in docs/protocol.md, Agent desk socket"
    requests = _table_rows(DESK_PART)
    assert requests == {request for request, sockets in REQUESTS.items() if sockets & Audience.DESK}


def test_every_webhook_event_is_in_webhooks_md():
    text = (ROOT / "docs" / "webhooks.md").read_text()
    headings = set(re.findall(r"^### `([a-z._]+)`$", text, flags=re.MULTILINE))
    assert {str(event_type) for event_type in types_for(Audience.WEBHOOK)} <= headings
    assert {str(event_type) for event_type in types_for(Audience.WEBHOOK)} <= _table_rows(text)
