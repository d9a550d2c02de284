"""The REST API fuzzed from its own OpenAPI document (drf-spectacular's) by Schemathesis, plus
hostile JSON bodies no schema describes: no operation answers a server error, a refusal stores
nothing, and every answer is the one the document describes (status, content type, body).

Requests go in-process to Django's WSGI handler inside the test's transaction. Each example runs
in a savepoint rolled back afterwards, so examples never see each other's writes and a failing one
replays on the same rows. The agent's token is sent under /api/v1/, the API inbox's token under
/api/v1/channel/; ids in the path are mostly swapped for rows that exist, so bodies reach the
services instead of stopping at a 404.
"""

import json
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.files.base import ContentFile
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import example, given
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agents.models import InboxMembership
from channels_in.api_channel.credentials import api_channel_credentials_ensure
from conversations import services
from conversations.models import (
    Attachment,
    ChannelType,
    Contact,
    ContactIdentity,
    Conversation,
    Label,
    Message,
    OutboundDelivery,
)
from knowledge.models import Article, ArticleQuestion
from knowledge.services import article_create, portal_create
from tests.api.schema_fuzz import api_schema, operations
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory, LabelFactory
from tests.fuzz import database, hostile
from tests.fuzz.conftest import PROFILE, count_case

pytestmark = pytest.mark.postgres  # the stored rows' digest is computed by Postgres

CHANNEL_PATHS = "/api/v1/channel/"
STORED = [
    Article,
    ArticleQuestion,
    Contact,
    ContactIdentity,
    Conversation,
    Conversation.labels.through,
    Message,
    Attachment,
    OutboundDelivery,
    Label,
    Token,
    InboxMembership,
]
CONTRACT = [status_code_conformance, content_type_conformance, response_schema_conformance]
DOCUMENT = api_schema()
WITH_BODY = [operation for operation in operations(DOCUMENT) if operation.body_schema is not None]

# Strings may hold any code point, lone surrogates included (sent as \ud800 escapes), and NUL.
# The suite tries one unexpected method per operation; `make fuzz` tries them all.
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.config.generation.codec = None
if PROFILE == "ci":
    schema.config.phases.coverage.unexpected_methods = {"delete"}


class InTransactionWSGI:
    """Django's WSGI handler as its test client runs it: the request neither opens nor closes the
    database connection, so it runs inside the test's transaction (closing it would end that)."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


APP = InTransactionWSGI()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(agent, inbox, conversation, settings, tmp_path) -> dict:
    """A conversation with a reply that has a file, a twin contact to merge, a label, and an API
    channel inbox with a customer and a conversation: every path names something that exists, and
    every operation with a body has one that works (the base the hostile bodies break)."""
    settings.MEDIA_ROOT = tmp_path
    services.message_receive(
        inbox=inbox, contact=conversation.contact, conversation_id=conversation.pk, body="Hi"
    )
    reply = services.message_post_reply(conversation=conversation, agent=agent, body="Hello")
    Attachment.objects.create(message=reply, file=ContentFile(b"x", name="a.txt"), mime_type="text/plain")
    twin = ConversationFactory(inbox=inbox, contact=ContactFactory(email=conversation.contact.email)).contact
    label = LabelFactory(name="existing")
    channel_inbox = InboxFactory(name="Our app", channel_type=ChannelType.API)
    api_channel_credentials_ensure(inbox_id=channel_inbox.pk)
    channel_inbox.refresh_from_db()
    app_user = services.contact_identify(inbox=channel_inbox, source_id="app-user-1")
    app_conversation = services.message_receive(inbox=channel_inbox, contact=app_user, body="Hi").conversation
    portal = portal_create(name="Fuzz help", slug="fuzz-help", inboxes=[inbox])
    article = article_create(portal=portal, title="Fuzz", body="Fuzz.", questions=["fuzz?"], author=agent)
    token, _ = Token.objects.get_or_create(user=agent)
    return {
        "path": {
            "contact_id": conversation.contact_id,
            "conversation_id": conversation.pk,
            "message_id": reply.pk,
            "source_id": "app-user-1",
            "id": app_conversation.pk,
            "article_id": article.pk,
        },
        "bodies": {
            "contacts_create": {"inbox_id": inbox.pk, "name": "Fuzz"},
            "contacts_update": {"name": "Fuzz"},
            "contacts_merge": {"merge_id": twin.pk},
            "conversations_update": {"priority": 2, "label_ids": [label.pk]},
            "conversations_assign": {"assignee_id": agent.pk},
            "messages_create": {"body": "Fuzz"},
            "labels_create": {"name": "fuzz"},
            "channel_contacts_create": {"source_id": "app-user-2", "name": "Fuzz"},
            "channel_messages_create": {"source_id": "app-user-1", "message_id": "fuzz-1", "body": "Fuzz"},
            "articles_create": {"portal": "fuzz-help", "title": "Fuzz", "questions": ["fuzz?"]},
            "articles_update": {"title": "Fuzz", "questions": ["fuzz?"]},
        },
        "agent_auth": f"Token {token.key}",
        "channel_auth": f"Bearer {channel_inbox.config['api_token']}",
    }


def auth_for(path: str, world: dict) -> str:
    return world["channel_auth"] if path.startswith(CHANNEL_PATHS) else world["agent_auth"]


def stored() -> tuple[str, ...]:
    return database.digest(STORED)


@dataclass
class ContractBreaks:
    """Answers that are not what the document says, gathered over a test's examples and reported
    together at its end: a wrong content type on one answer must not hide a crash on another."""

    found: dict[str, tuple[int, str]] = field(default_factory=dict)  # kind -> (count, one example)

    def add(self, failures: FailureGroup, example: str) -> None:
        for failure in failures.exceptions:
            first_line = (failure.message.strip().splitlines() or [""])[0]
            kind = f"{failure.title}: {first_line[:200]}"
            count, first = self.found.get(kind, (0, example))
            self.found[kind] = (count + 1, first)

    def report(self) -> str:
        lines = [
            f"{count} answer(s): {kind}\n    e.g. {example}" for kind, (count, example) in self.found.items()
        ]
        return "Answers the OpenAPI document does not describe:\n" + "\n".join(lines)


@pytest.fixture
def contract() -> ContractBreaks:
    """Checked once the test's examples have all run (tests/fuzz/conftest.py, pytest_runtest_call)."""
    return ContractBreaks()


def aim_at_the_world(case, world: dict) -> None:
    """Existing rows in the path, unless the path is what this case makes invalid or names an id
    no row can have (zero, negative, past a 32-bit integer: what a 404 must answer)."""
    if not case.path_parameters or (case.meta and case.meta.is_negative_at(ParameterLocation.PATH)):
        return
    case.path_parameters = {
        name: value if _impossible_id(value) else world["path"].get(name, value)
        for name, value in case.path_parameters.items()
    }


def _impossible_id(value: object) -> bool:
    return isinstance(value, int) and not 0 < value < 2**31


@pytest.mark.django_db
@schema.parametrize()
def test_every_operation_answers_as_documented_without_a_5xx_and_a_refusal_stores_nothing(
    case, world, contract
):
    count_case(f"REST schemathesis {case.meta.phase.name.value if case.meta else 'explicit'}")
    aim_at_the_world(case, world)
    with database.undone():
        before = stored()
        response = case.call(app=APP, headers={"Authorization": auth_for(case.path, world)})
        case.validate_response(response, checks=[not_a_server_error])
        if 400 <= response.status_code < 500:
            assert stored() == before, f"{case.as_curl_command()} answered {response.status_code} and stored"
        try:
            case.validate_response(response, checks=CONTRACT)
        except FailureGroup as failures:
            contract.add(failures, f"{response.status_code} to {case.as_curl_command()}"[:400])


QUERIES = ("?x=%00", "?" + "&".join(["x=1"] * 1001))  # NUL; past DATA_UPLOAD_MAX_NUMBER_FIELDS


def send(operation, world: dict, body: bytes, query: str = ""):
    client = APIClient(raise_request_exception=False)  # a crash is a 500, as in production
    client.credentials(HTTP_AUTHORIZATION=auth_for(operation.path, world))
    url = operation.path.format(**world["path"]) + query
    return getattr(client, operation.method)(url, data=body, content_type="application/json")


@st.composite
def hostile_bodies(draw, base: dict) -> bytes:
    """The operation's working body with one field made hostile, or a field added, or the whole
    document broken (not UTF-8, nested too deep, NaN, not JSON)."""
    how = draw(
        st.sampled_from(
            ("field", "extra field", "whole document", "not an object", "overflowing number", "too big")
        )
    )
    if how == "field":
        name = draw(st.sampled_from(sorted(base)))
        value = draw(st.one_of(hostile.json_values(), hostile.long_text(20_000), st.just(hostile.nested(40))))
        return hostile.encode({**base, name: value})
    if how == "extra field":
        return hostile.encode({**base, draw(hostile.hostile_text(max_size=4)): draw(hostile.json_values())})
    if how == "overflowing number":
        return hostile.encode({**base, draw(st.sampled_from(sorted(base))): hostile.OVERFLOW})
    if how == "too big":  # past Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
        return hostile.encode({**base, "padding": "x" * 3_000_000})
    if how == "not an object":
        return hostile.encode(draw(st.one_of(hostile.scalars(), st.lists(st.just(base), max_size=2))))
    return draw(hostile.broken_bodies(base))


@pytest.mark.django_db
@pytest.mark.parametrize("operation", WITH_BODY, ids=[operation.operation_id for operation in WITH_BODY])
def test_hostile_json_is_refused_in_json_naming_the_field_and_stores_nothing(operation, world):
    base = world["bodies"][operation.operation_id]

    @given(body=hostile_bodies(base), query=st.one_of(st.just(""), st.sampled_from(QUERIES)))
    @example(body=hostile.encode(base), query=QUERIES[-1])
    def examples(body: bytes, query: str) -> None:
        count_case("REST hostile JSON bodies")
        with database.undone():
            before = stored()
            response = send(operation, world, body, query)
            where = f"{operation.method.upper()} {operation.path}{query[:40]} with {body[:300]!r}"
            assert response.status_code < 500, f"{where}: {response.status_code}"
            assert response["Content-Type"].startswith("application/json"), where
            answer = response.json()
            if response.status_code >= 400:
                assert stored() == before, f"{where}: answered {response.status_code} and stored"
                assert isinstance(answer.get("detail"), str) and isinstance(answer.get("code"), str), where
            if response.status_code == 400 and not query and unstorable_field(body):
                assert unstorable_field(body) in answer.get("field_errors", {}), f"{where}: {answer}"

    for name in base:  # a number past what a float holds, in each field: tried on every run
        examples = example(body=hostile.encode({**base, name: hostile.OVERFLOW}), query="")(examples)
    examples()


def unstorable_field(body: bytes) -> str | None:
    """The top-level field of a JSON object body whose text Postgres cannot store (NUL, a lone
    surrogate), when there is exactly one such field and the rest of the body is fine."""
    try:
        document = json.loads(body.decode("utf-8"))  # strict: a surrogate as raw bytes is not UTF-8
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    bad = [name for name, value in document.items() if isinstance(value, str) and hostile.unstorable(value)]
    keys_bad = any(hostile.unstorable(name) for name in document)
    return bad[0] if len(bad) == 1 and not keys_bad and hostile.json_depth(document) < 32 else None


@pytest.mark.django_db
@pytest.mark.parametrize("operation", WITH_BODY, ids=[operation.operation_id for operation in WITH_BODY])
def test_the_working_bodies_the_fuzzer_breaks_are_accepted(operation, world):
    """Each hostile body breaks one thing of a request that works: prove that it does."""
    response = send(operation, world, hostile.encode(world["bodies"][operation.operation_id]))

    assert 200 <= response.status_code < 300, response.content[:300]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/api/v1/conversations/abc", "/api/v1/conversations/%0A", "/api/v1/contacts/1%0A", "/api/v1/nothing%0A"],
)
def test_an_api_url_that_names_nothing_is_a_json_404(path):
    """What Schemathesis found once: a path segment with a newline missed the API's catch-all."""
    response = APIClient().get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
