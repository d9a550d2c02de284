"""Schema-driven fuzzing: every operation, given input its schema forbids, answers a 4xx in JSON,
never a 500, and stores nothing. The cases come from the schema (tests/api/schema_fuzz.py); only
one valid body per operation is written here, as the base each case breaks one field of."""

import json

import pytest
from django.core.files.base import ContentFile
from rest_framework.authtoken.models import Token

from agents.models import InboxMembership
from conversations import services
from conversations.models import Attachment, Contact, ContactIdentity, Conversation, Label, Message
from conversations.models import OutboundDelivery as Delivery
from tests.api.schema_fuzz import Case, Operation, api_schema, body_cases, operations, query_cases
from tests.factories.conversations import ContactFactory, ConversationFactory, LabelFactory

OPERATIONS = operations(api_schema())
STORED = [Contact, ContactIdentity, Conversation, Conversation.labels.through, Message, Attachment, Delivery]
STORED += [Label, Token, InboxMembership]


@pytest.fixture
def world(agent, inbox, conversation, channel_inbox, settings, tmp_path):
    """A conversation with a reply and a note, a contact to merge, a label, a customer of the API
    channel with a conversation: every path has a target."""
    settings.MEDIA_ROOT = tmp_path
    services.message_receive(
        inbox=inbox, contact=conversation.contact, conversation_id=conversation.pk, body="Hi"
    )
    reply = services.message_post_reply(conversation=conversation, agent=agent, body="Hello")
    Attachment.objects.create(message=reply, file=ContentFile(b"x", name="a.txt"), mime_type="text/plain")
    twin = ConversationFactory(inbox=inbox, contact=ContactFactory(email=conversation.contact.email)).contact
    label = LabelFactory(name="existing")
    app_user = services.contact_identify(inbox=channel_inbox, source_id="app-user-1")
    app_conversation = services.message_receive(inbox=channel_inbox, contact=app_user, body="Hi").conversation
    return {
        "path": {
            "contact_id": conversation.contact_id,
            "conversation_id": conversation.pk,
            "message_id": reply.pk,
            "source_id": "app-user-1",  # the API channel's paths
            "id": app_conversation.pk,
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
        },
    }


def stored() -> dict[str, list[dict]]:
    """Everything the API could write, row by row."""
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in STORED}


def send(api, operation: Operation, url: str, case: Case):
    if isinstance(case.body, bytes):
        body, content_type = case.body, "application/json"
    elif operation.body_schema is not None:
        body, content_type = json.dumps(case.body), "application/json"
    else:
        body, content_type = None, None
    if case.query:
        url = f"{url}?{'&'.join(f'{name}={value}' for name, value in _encoded(case.query))}"
    return getattr(api, operation.method)(url, data=body, content_type=content_type)


def _encoded(query: dict) -> list[tuple[str, str]]:
    from urllib.parse import quote

    return [(quote(name), quote(value)) for name, value in query.items()]


def assert_refused(response, case: Case, operation: Operation) -> None:
    where = f"{operation.method.upper()} {operation.path} with {case.description}"
    assert 400 <= response.status_code < 500, f"{where}: {response.status_code} {response.content[:300]!r}"
    assert response["Content-Type"].startswith("application/json"), where
    body = response.json()
    assert isinstance(body.get("detail"), str) and isinstance(body.get("code"), str), where


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.operation_id for operation in OPERATIONS])
def test_input_the_schema_forbids_is_a_4xx_and_stores_nothing(api_for, world, operation):
    api = api_for(operation.path)
    url = operation.url(world["path"])
    cases = list(query_cases(operation))
    if operation.body_schema is not None:
        assert operation.operation_id in world["bodies"], "write a valid body for this operation"
        cases += list(body_cases(operation, world["bodies"][operation.operation_id]))
    cases += [
        Case(f"{name} that cannot exist", query=None)
        for name in operation.path_names  # (the url below swaps the id)
    ]
    before = stored()

    for case in cases:
        target = url
        if case.description.endswith("that cannot exist"):
            name = case.description.split(" ")[0]
            target = operation.url({**world["path"], name: 10**30})
            case = Case(case.description, body=world["bodies"].get(operation.operation_id, {}))
        assert_refused(send(api, operation, target, case), case, operation)

    assert stored() == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.operation_id for operation in OPERATIONS])
def test_the_valid_base_request_is_accepted(api_for, world, operation):
    """The fuzz cases each break one thing of a request that works: prove that it does."""
    api = api_for(operation.path)
    case = Case("the valid base", body=world["bodies"].get(operation.operation_id))

    response = send(api, operation, operation.url(world["path"]), case)

    assert 200 <= response.status_code < 300, response.content[:300]
