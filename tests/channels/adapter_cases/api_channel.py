"""The API channel: the business's own backend is the other end. Its customers' messages come in as
JSON posts with the inbox's bearer token; replies go out as signed posts to its webhook_url, which
dedupes every try on Parley-Delivery, so a lost answer is settled by sending again. Offered replies
travel with the reply as `actions`; the app draws them and posts the pick back as the title."""

import json

from channels_in.adapters.api_channel import ApiChannelAdapter
from conversations.models import ChannelType, Inbox, Message
from tests.outbound_webhooks.receiver import Answer, Received

from .entry import (
    AdapterCase,
    BusinessEndpoint,
    Buttons,
    Forgery,
    Inbound,
    LostAnswer,
    MakePost,
    NoStatusReports,
    Refusal,
    Retry,
    Sample,
    Sending,
    Settled,
    SignedPost,
    business_answers,
    configured,
)

API_CUSTOMER = "user-42"
WRONG_TOKEN = "Bearer acme-app.wrongwrongwrongwrongwrongwrongwrongwrongwro"  # the inbox's key, not its secret
CLOSED = "This customer has closed their account."


def business_post(path: str, payload: dict) -> MakePost:
    """What the business's backend posts, with its inbox's token."""

    def make(inbox: Inbox) -> SignedPost:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {inbox.config['api_token']}"}
        return SignedPost(path, json.dumps(payload).encode(), headers)

    return make


def api_customer_exists(inbox: Inbox) -> None:
    answer = business_post("/api/v1/channel/contacts", {"source_id": API_CUSTOMER, "name": "Grace Hopper"})
    assert answer(inbox).post().status_code == 201


API_MESSAGE = business_post(
    "/api/v1/channel/messages", {"source_id": API_CUSTOMER, "message_id": "m-1", "body": "Where is my order?"}
)


def app_pick(message: Message, send: Received, action_id: str) -> SignedPost:
    """The business's app posts its customer's pick as their message, the title as its body."""
    actions = json.loads(send.body)["data"]["message"]["actions"]
    title = next(action["title"] for action in actions if action["id"] == action_id)
    payload = {"source_id": API_CUSTOMER, "message_id": f"pick-{message.pk}-{action_id}", "body": title}
    return business_post("/api/v1/channel/messages", payload)(message.conversation.inbox)


API = AdapterCase(
    name="api-channel",
    adapter=ApiChannelAdapter,
    channel_type=ChannelType.API,
    inbound=Inbound(
        inbox="api_inbox",
        samples={"a text": Sample(API_MESSAGE, "Where is my order?")},
        replayed="a text",
        signature_header="Authorization",
        wrong_signature=WRONG_TOKEN,
        forgeries={
            "a provider webhook": Forgery(
                lambda inbox: SignedPost("/hooks/api/acme-app/", b"{}", {"Content-Type": "application/json"}),
                refused_with=403,
            ),
        },
        refused_with=401,
        answers=(201, 200),
        keeps_receipts=False,
        before=api_customer_exists,
    ),
    statuses=NoStatusReports("The business's server answers each reply; it sends no reports after."),
    sending=Sending(
        inbox="api_inbox",
        customer=API_CUSTOMER,
        endpoint=lambda request: BusinessEndpoint(request.getfixturevalue("receiver")),
        provider_id=lambda message, send: f"api-{message.pk}",
        refusals={
            "410 Gone": Refusal(
                business_answers(Answer(410)), "410", ("410 Gone", "no longer takes replies")
            ),
            "4xx with the business's reason": Refusal(
                business_answers(Answer(422, body=json.dumps({"detail": CLOSED}).encode())),
                "422",
                (f"The business's server refused the reply (HTTP 422): {CLOSED}",),
                whole=True,
            ),
            "no webhook_url": Refusal(
                configured(webhook_url=None), "not_configured", ("webhook_url",), calls=0
            ),
        },
        retries={
            "500": Retry(
                business_answers(Answer(500, body=b'{"error": "database is down"}')), words="database is down"
            ),
            "429": Retry(business_answers(Answer(429))),
        },
        lost_answer=LostAnswer(business_answers(Answer(200, delay=1.5)), Settled.SENT_AGAIN),
    ),
    buttons=Buttons(
        limit=10,
        title_length=None,
        drawn=lambda send: json.loads(send.body)["data"]["message"]["actions"],
        tap=app_pick,
    ),
)
