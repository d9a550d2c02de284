"""The API channel: a business's backend posts its customers' messages and reads their
conversations over /api/v1/channel/ with its inbox's token, and receives the agents' replies as
signed webhooks at its own URL (a real local HTTP server here). Replays, the token's check, and
each outcome of sending a reply are the adapter contract's (test_adapter_contract.py, entry
"api-channel")."""

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from api_common.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify
from channels_in.adapters.api_channel import ApiChannelAdapter
from channels_in.api_channel.credentials import api_channel_credentials_ensure
from channels_in.media import DOWNLOAD_MEDIA
from channels_in.tasks import download_media
from conversations import registry, services
from conversations.models import ChannelType, Contact, DeliveryAttempt, Message, OutboundDelivery
from conversations.services import MAX_DELIVERY_ATTEMPTS, UNKNOWN_OUTCOME
from conversations.tasks import deliver_message
from tests.api.schema_fuzz import api_schema, operations
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import InboxFactory
from tests.outbound_webhooks.receiver import Answer

Status = Message.DeliveryStatus
Outcome = DeliveryAttempt.Outcome
CONTACTS = "/api/v1/channel/contacts"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MESSAGES = "/api/v1/channel/messages"


def channel_client(inbox) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {inbox.config['api_token']}")
    return client


@pytest.fixture
def business(api_inbox) -> APIClient:
    """The business's backend, with its inbox's token."""
    return channel_client(api_inbox)


@pytest.fixture
def agent(api_inbox):
    profile = AgentProfileFactory(display_name="Ana")
    InboxMembershipFactory(inbox=api_inbox, agent=profile.user)
    return profile.user


def post_message(business: APIClient, message_id: str = "m-1", body: str = "Where is my order?", **more):
    return business.post(MESSAGES, {"source_id": "user-42", "message_id": message_id, "body": body, **more})


@pytest.fixture
def customer(business) -> int:
    response = business.post(CONTACTS, {"source_id": "user-42", "name": "Grace Hopper"})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]
    return body


# --- Authentication: the inbox's token, and only its own inbox --------------------------------


def test_no_token_is_a_401_with_a_bearer_challenge(api_inbox):
    response = APIClient().post(CONTACTS, {"source_id": "user-42"})

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer acme-app.wrongwrongwrongwrongwrongwrongwrongwrongwro",  # the inbox's key, not its secret
        "Bearer not-a-token",
        "Bearer " + "x" * 5000,
        "Bearer two words",
    ],
)
def test_a_wrong_token_is_a_401(api_inbox, authorization):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=authorization)

    assert_error(client.post(CONTACTS, {"source_id": "user-42"}), 401, "authentication_failed")
    assert not Contact.objects.exists()


def test_an_agents_token_does_not_open_the_channel_endpoints(api_inbox, agent):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")

    assert_error(client.post(CONTACTS, {"source_id": "user-42"}), 401, "not_authenticated")


def test_an_inactive_inbox_or_another_channels_inbox_has_no_token(api_inbox):
    widget = InboxFactory(public_key="widget-key", config={"api_token": "widget-key." + "a" * 43})
    api_inbox.is_active = False
    api_inbox.save()

    assert_error(channel_client(api_inbox).post(CONTACTS, {"source_id": "x"}), 401, "authentication_failed")
    assert_error(channel_client(widget).post(CONTACTS, {"source_id": "x"}), 401, "authentication_failed")


def test_another_inboxs_token_cannot_read_or_write_this_inboxs_conversations(business, customer, receiver):
    conversation_id = post_message(business).json()["conversation_id"]
    other = InboxFactory(name="Other app", channel_type=ChannelType.API, public_key="other-app")
    api_channel_credentials_ensure(inbox_id=other.pk)
    other.refresh_from_db()
    intruder = channel_client(other)

    assert_error(intruder.get(f"/api/v1/channel/conversations/{conversation_id}/messages"), 404, "not_found")
    assert_error(intruder.get(f"{CONTACTS}/user-42/conversations"), 404, "not_found")
    written = intruder.post(
        MESSAGES,
        {"source_id": "user-42", "message_id": "x", "body": "Hi", "conversation_id": conversation_id},
    )
    assert_error(written, 404, "not_found")
    assert Message.objects.count() == 1


# --- Contacts -------------------------------------------------------------------------------------


def test_a_contact_is_created_once_by_the_businesss_id_and_its_details_filled(business, api_inbox):
    first = business.post(CONTACTS, {"source_id": "user-42", "name": "Grace Hopper"})
    again = business.post(
        CONTACTS, {"source_id": "user-42", "email": "grace@navy.example", "phone": "+1 (415) 555-0123"}
    )

    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json() | {"created_at": None} == {
        "id": first.json()["id"],
        "source_id": "user-42",
        "name": "Grace Hopper",
        "email": "grace@navy.example",
        "phone": "+14155550123",
        "created_at": None,
    }
    contact = Contact.objects.get()
    assert list(contact.identities.values_list("inbox_id", "source_id")) == [(api_inbox.pk, "user-42")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "source_id"),
        ({"source_id": ""}, "source_id"),
        ({"source_id": "a\x00b"}, "source_id"),
        ({"source_id": "user-1", "phone": "06 12 34 56 78"}, "phone"),
        ({"source_id": "user-1", "email": "not-an-address"}, "email"),
        ({"source_id": "user-1", "name": "x" * 201}, "name"),
        ({"source_id": ["user-1"]}, "source_id"),
    ],
)
def test_a_bad_contact_is_a_400_naming_the_field_and_stores_nothing(business, body, field):
    error = assert_error(business.post(CONTACTS, body, format="json"), 400, "invalid")

    assert field in error["field_errors"] and field in error["detail"]
    assert not Contact.objects.exists()


def test_a_body_that_is_not_a_json_object_is_a_400(business):
    broken = business.post(CONTACTS, b'{"source_id": ', content_type="application/json")
    listed = business.post(CONTACTS, [{"source_id": "user-1"}], format="json")
    form = business.post(CONTACTS, "source_id=user-1", content_type="application/x-www-form-urlencoded")

    assert_error(broken, 400, "parse_error")
    assert_error(listed, 400, "invalid")
    assert_error(form, 415, "unsupported_media_type")


# --- Messages in ----------------------------------------------------------------------------------


def test_a_posted_message_is_stored_once_and_a_replay_returns_it(business, customer, api_inbox):
    first = post_message(business)
    replay = post_message(business, body="a retry may even differ")

    assert first.status_code == 201 and replay.status_code == 200
    assert replay.json() == first.json()
    stored = Message.objects.get()
    assert first.json() | {"created_at": None} == {
        "id": stored.pk,
        "conversation_id": stored.conversation_id,
        "seq": 1,
        "message_id": "m-1",
        "sender": {"kind": "contact", "name": ""},
        "content_type": "text",
        "body": "Where is my order?",
        "attachments": [],
        "delivery_status": "delivered",
        "created_at": None,
    }
    assert stored.conversation.inbox_id == api_inbox.pk and stored.conversation.contact_id == customer
    assert stored.client_message_id == "m-1" and stored.sender_kind == Message.SenderKind.CONTACT


def test_the_next_message_continues_the_open_conversation_in_order(business, customer):
    first = post_message(business, "m-1").json()
    second = post_message(business, "m-2", body="Hello?").json()

    assert second["conversation_id"] == first["conversation_id"]
    assert (first["seq"], second["seq"]) == (1, 2)


def test_attachments_are_stored_with_the_message_and_fetched_after_commit(
    business, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as fetches:
        response = post_message(
            business,
            body="",
            attachments=[
                {"url": "https://files.acme.example/u/42/receipt.png"},
                {
                    "url": "https://files.acme.example/dl?id=7",
                    "mime_type": "application/pdf",
                    "file_name": "a.pdf",
                },
            ],
        )

    assert response.status_code == 201, response.content
    assert response.json()["attachments"] == [
        {
            "url": "https://files.acme.example/u/42/receipt.png",
            "mime_type": "image/png",
            "name": "receipt.png",
            "size": 0,
        },
        {
            "url": "https://files.acme.example/dl?id=7",
            "mime_type": "application/pdf",
            "name": "a.pdf",
            "size": 0,
        },
    ]
    # one download per file, queued for when the message has committed
    queued = [c.args[1:] for c in fetches if isinstance(c, partial) and c.args[:1] == (DOWNLOAD_MEDIA,)]
    stored = Message.objects.get(pk=response.json()["id"]).attachments.order_by("pk")
    assert queued == [(attachment.pk,) for attachment in stored]


class FileServer:
    """The business's file host: a real HTTP server on 127.0.0.1 serving fixed files by path."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(self.path)
                content = files.get(self.path)
                self.send_response(200 if content is not None else 404)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(content or b"")))
                self.end_headers()
                self.wfile.write(content or b"")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    server = FileServer({"/u/42/receipt.png": PNG})
    yield server
    server.stop()


def test_a_posted_file_is_fetched_from_an_allowed_host_and_stored_by_its_content(
    business, customer, api_inbox, file_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    api_inbox.config = {**api_inbox.config, "media_hosts": ["127.0.0.1"]}
    api_inbox.save()
    response = post_message(business, body="", attachments=[{"url": f"{file_server.url}/u/42/receipt.png"}])
    attachment = Message.objects.get(pk=response.json()["id"]).attachments.get()

    download_media(attachment.pk)

    attachment.refresh_from_db()
    assert attachment.file and attachment.mime_type == "image/png" and attachment.byte_size == len(PNG)
    [shown] = business.get(
        f"/api/v1/channel/conversations/{response.json()['conversation_id']}/messages"
    ).json()["results"][0]["attachments"]
    assert shown["url"].startswith("https://desk.example.com/media/") and shown["size"] == len(PNG)


def test_a_posted_file_inside_the_network_is_never_fetched(business, customer, file_server):
    response = post_message(business, body="", attachments=[{"url": f"{file_server.url}/u/42/receipt.png"}])
    attachment = Message.objects.get(pk=response.json()["id"]).attachments.get()

    download_media(attachment.pk)  # 127.0.0.1 is not public, and the inbox lists no media_hosts

    attachment.refresh_from_db()
    assert not attachment.file and file_server.requests == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source_id": "user-42", "body": "Hi"}, "message_id"),
        ({"source_id": "user-42", "message_id": "m-9"}, "body"),
        ({"source_id": "user-42", "message_id": "m-9", "body": "   "}, "body"),
        ({"source_id": "user-42", "message_id": "m" * 65, "body": "Hi"}, "message_id"),
        ({"source_id": "user-42", "message_id": "m-9", "body": "x" * 20_001}, "body"),
        (
            {"source_id": "user-42", "message_id": "m-9", "body": "Hi", "conversation_id": 2**70},
            "conversation_id",
        ),
        (
            {"source_id": "user-42", "message_id": "m-9", "attachments": [{"url": "file:///etc/passwd"}]},
            "attachments.0.url",
        ),
        (
            {"source_id": "user-42", "message_id": "m-9", "attachments": "https://x.example/a.png"},
            "attachments",
        ),
        ({"source_id": "user-42", "message_id": "m-9", "body": "Hi", "text": "Hi"}, "text"),  # not ours
        (
            {"source_id": "user-42", "message_id": "m-9", "attachments": [{"link": "https://x.example/a"}]},
            "attachments.0.link",
        ),
    ],
)
def test_a_bad_message_is_a_400_naming_the_field_and_stores_nothing(business, customer, body, field):
    error = assert_error(business.post(MESSAGES, body, format="json"), 400, "invalid")

    assert field in error["field_errors"], error
    assert not Message.objects.exists()


def test_a_message_for_an_unknown_customer_is_a_404(business, customer):
    response = business.post(MESSAGES, {"source_id": "user-7", "message_id": "m-1", "body": "Hi"})

    body = assert_error(response, 404, "not_found")
    assert "POST /api/v1/channel/contacts" in body["detail"]
    assert not Message.objects.exists()


def test_a_message_id_an_agent_used_is_refused_not_answered_with_the_reply(business, customer, agent):
    conversation = Message.objects.get(pk=post_message(business).json()["id"]).conversation
    services.message_post_reply(conversation=conversation, agent=agent, body="Hi!", client_message_id="taken")

    response = post_message(business, message_id="taken")

    assert_error(response, 422, "refused")
    assert Message.objects.count() == 2


# --- Reading --------------------------------------------------------------------------------------


def test_the_business_reads_only_what_the_customer_sees(business, customer, agent):
    conversation_id = post_message(business).json()["conversation_id"]
    conversation = Message.objects.get().conversation
    reply = services.message_post_reply(conversation=conversation, agent=agent, body="It ships today.")
    services.message_post_reply(conversation=conversation, agent=agent, body="VIP!", is_private=True)
    services.conversation_resolve(conversation=conversation, actor=agent)  # an activity line
    assert Message.objects.filter(is_private=True).count() == 2

    page = business.get(f"/api/v1/channel/conversations/{conversation_id}/messages").json()
    listed = business.get(f"{CONTACTS}/user-42/conversations").json()

    assert [(m["sender"], m["body"]) for m in page["results"]] == [
        ({"kind": "contact", "name": ""}, "Where is my order?"),
        ({"kind": "agent", "name": "Ana"}, "It ships today."),
    ]
    assert page["results"][1]["id"] == reply.pk and page["results"][1]["message_id"] is None
    assert page["has_more"] is False
    assert [(c["id"], c["status"]) for c in listed["results"]] == [(conversation_id, "resolved")]


def test_messages_page_on_after_a_seq(business, customer):
    for number in range(1, 4):
        post_message(business, f"m-{number}", body=f"Message {number}")
    conversation_id = Message.objects.first().conversation_id
    url = f"/api/v1/channel/conversations/{conversation_id}/messages"

    first = business.get(url, {"limit": 2}).json()
    rest = business.get(url, {"after": first["results"][-1]["seq"], "limit": 2}).json()

    assert [m["seq"] for m in first["results"]] == [1, 2] and first["has_more"] is True
    assert [m["seq"] for m in rest["results"]] == [3] and rest["has_more"] is False


@pytest.mark.parametrize("query", [{"after": "-1"}, {"after": "x"}, {"limit": "0"}, {"limit": "101"}])
def test_a_bad_page_is_a_400(business, customer, query):
    conversation_id = post_message(business).json()["conversation_id"]

    response = business.get(f"/api/v1/channel/conversations/{conversation_id}/messages", query)

    assert_error(response, 400, "invalid")


def test_a_source_id_with_a_slash_is_addressable(business):
    business.post(CONTACTS, {"source_id": "shop/eu/42"})
    business.post(MESSAGES, {"source_id": "shop/eu/42", "message_id": "m-1", "body": "Hi"})

    listed = business.get(f"{CONTACTS}/shop/eu/42/conversations")

    assert listed.status_code == 200 and len(listed.json()["results"]) == 1


def test_what_cannot_exist_is_a_404(business, customer):
    assert_error(business.get(f"/api/v1/channel/conversations/{10**30}/messages"), 404, "not_found")
    assert_error(business.get(f"{CONTACTS}/nobody/conversations"), 404, "not_found")


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200, response.content
    return len(captured)


def test_reading_costs_the_same_few_queries_for_one_row_or_many(business, customer, agent):
    post_message(business)
    conversation = Message.objects.get().conversation
    messages_url = f"/api/v1/channel/conversations/{conversation.pk}/messages"
    conversations_url = f"{CONTACTS}/user-42/conversations"
    one = (_queries(lambda: business.get(messages_url)), _queries(lambda: business.get(conversations_url)))

    for number in range(5):
        services.message_post_reply(conversation=conversation, agent=agent, body=f"Reply {number}")
        post_message(
            business, f"more-{number}", body="And?", attachments=[{"url": "https://x.example/a.png"}]
        )
    services.conversation_resolve(conversation=conversation, actor=agent)
    post_message(business, "after-resolve")  # reopens; with start_new it would be a second one
    many = (_queries(lambda: business.get(messages_url)), _queries(lambda: business.get(conversations_url)))

    # messages: the inbox, the conversation, the page with senders, its attachments;
    # conversations: the inbox, the identity, the conversations.
    assert one == many == (4, 3)


# --- Replies out: a signed POST to the business --------------------------------------------------


def reply_to_customer(business, agent, body: str = "It ships today.") -> Message:
    post_message(business)
    conversation = Message.objects.get(sender_kind=Message.SenderKind.CONTACT).conversation
    return services.message_post_reply(conversation=conversation, agent=agent, body=body)


def test_the_api_channel_is_registered_and_its_replies_need_delivery(api_inbox):
    assert isinstance(registry.sender_for(ChannelType.API), ApiChannelAdapter)
    assert registry.needs_provider_delivery(ChannelType.API)
    assert ChannelType.API not in registry.PUSH_CHANNEL_TYPES


def test_a_reply_is_posted_signed(business, customer, agent, api_inbox, receiver):
    reply = reply_to_customer(business, agent)
    assert reply.delivery_status == Status.PENDING and OutboundDelivery.objects.filter(message=reply).exists()

    deliver_message(reply.pk)

    [request] = receiver.wait_for(1)
    assert verify(api_inbox.config["webhook_secret"], request.body, request.header(SIGNATURE_HEADER))
    assert not verify("another secret", request.body, request.header(SIGNATURE_HEADER))
    assert request.header(DELIVERY_HEADER) == f"message-{reply.pk}"
    assert request.header(EVENT_HEADER) == "message.created"
    assert request.header("Content-Type") == "application/json"
    payload = json.loads(request.body)
    assert payload == {
        "type": "message.created",
        "created_at": reply.created_at.isoformat(),
        "data": {
            "conversation": {"id": reply.conversation_id, "inbox_id": api_inbox.pk},
            "contact": {"id": customer, "source_id": "user-42"},
            "message": {
                "id": reply.pk,
                "seq": 2,
                "sender": {"kind": "agent", "agent_id": agent.pk, "name": "Ana"},
                "content_type": "text",
                "body": "It ships today.",
                "attachments": [],
                "actions": [],
                "created_at": reply.created_at.isoformat(),
            },
        },
    }


def test_a_replys_files_are_sent_as_absolute_links(business, customer, agent, receiver, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    post_message(business)
    conversation = Message.objects.get().conversation
    reply = services.message_post_reply(
        conversation=conversation,
        agent=agent,
        body="Your label",
        attachments=[services.AttachmentInput(mime_type="image/png", file_name="label.png", content=PNG)],
    )

    deliver_message(reply.pk)

    [request] = receiver.wait_for(1)
    [attachment] = json.loads(request.body)["data"]["message"]["attachments"]
    assert attachment["url"].startswith("https://desk.example.com/media/")
    assert (attachment["mime_type"], attachment["size"]) == ("image/png", len(PNG))


def test_every_try_of_a_reply_carries_the_same_delivery_id(business, customer, agent, receiver, no_requeue):
    """The business dedupes on Parley-Delivery: a retry after a 500, and a resend after a lost
    answer, are the same delivery to it."""
    receiver.answer(Answer(500), Answer(200, delay=1.5))  # refused, then accepted but answered too late
    reply = reply_to_customer(business, agent)

    for _ in range(3):
        deliver_message(reply.pk)

    reply.refresh_from_db()
    assert reply.delivery_status == Status.SENT
    tries = receiver.wait_for(3)
    assert [request.header(DELIVERY_HEADER) for request in tries] == [f"message-{reply.pk}"] * 3
    assert list(reply.outbound.attempt_log.values_list("outcome", flat=True)) == [
        Outcome.RETRY,
        Outcome.NOT_SENT,
        Outcome.ACCEPTED,
    ]


def test_an_endpoint_that_always_answers_too_late_is_not_sent_to_forever(
    business, customer, agent, receiver, no_requeue, settings
):
    settings.PARLEY_PROVIDER_TIMEOUT_SECONDS = 0.1
    receiver.default = Answer(200, delay=0.3)
    reply = reply_to_customer(business, agent)

    for _ in range(MAX_DELIVERY_ATTEMPTS + 2):
        deliver_message(reply.pk)

    reply.refresh_from_db()
    assert reply.delivery_status == Status.FAILED and reply.provider_error_code == UNKNOWN_OUTCOME
    assert len(receiver.wait_for(MAX_DELIVERY_ATTEMPTS)) == MAX_DELIVERY_ATTEMPTS
    assert reply.outbound.state == OutboundDelivery.State.DEAD


# --- Credentials ----------------------------------------------------------------------------------


def test_the_command_makes_credentials_once_and_rotates_them(api_inbox, capsys):
    token, secret = api_inbox.config["api_token"], api_inbox.config["webhook_secret"]
    assert token.startswith("acme-app.") and secret.startswith("whsec_")

    call_command("api_channel_credentials", "acme-app")
    shown = capsys.readouterr().out
    assert token in shown and secret in shown

    call_command("api_channel_credentials", "acme-app", "--rotate", "--webhook-url", "https://acme.example/p")
    api_inbox.refresh_from_db()
    assert api_inbox.config["api_token"] != token and api_inbox.config["webhook_secret"] != secret
    assert api_inbox.config["webhook_url"] == "https://acme.example/p"
    old = APIClient()
    old.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(old.post(CONTACTS, {"source_id": "x"}), 401, "authentication_failed")
    assert channel_client(api_inbox).post(CONTACTS, {"source_id": "x"}).status_code == 201


def test_the_command_refuses_what_is_not_an_api_inbox(api_inbox):
    InboxFactory(public_key="site-widget")

    with pytest.raises(CommandError, match="only API inboxes"):
        call_command("api_channel_credentials", "site-widget")
    with pytest.raises(CommandError, match="No inbox"):
        call_command("api_channel_credentials", "nope")
    with pytest.raises(CommandError, match="not an http"):
        call_command("api_channel_credentials", "acme-app", "--webhook-url", "ftp://acme.example/")


# --- The schema -----------------------------------------------------------------------------------


def test_the_channel_endpoints_are_in_the_schema_with_their_own_security():
    schema = api_schema()
    channel = [op for op in operations(schema) if op.path.startswith("/api/v1/channel/")]

    assert {op.operation_id for op in channel} == {
        "channel_contacts_create",
        "channel_messages_create",
        "channel_contact_conversations_list",
        "channel_messages_list",
    }
    assert schema["components"]["securitySchemes"]["inboxToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["inboxToken"]["description"],
    }
    for op in channel:
        assert op.spec["security"] == [{"inboxToken": []}], op.operation_id
        responses = op.spec["responses"]
        for code in ("401", "403", *(["404"] if "{" in op.path else [])):
            error = responses[code]["content"]["application/json"]["schema"]["$ref"]
            assert error == "#/components/schemas/Error", op.operation_id
        if op.body_schema is not None or op.query_parameters:
            invalid = responses["400"]["content"]["application/json"]["schema"]["$ref"]
            assert invalid == "#/components/schemas/ValidationError", op.operation_id
