"""A person Parley knows well, built through the real doors and services wherever they own the
write: an SMS through Twilio's signed webhook (its receipt keeps the raw payload), a widget
conversation with a file, an agent's reply and note, an email's headers, a CSAT comment, an
outbound webhook delivery, the answer bot's episode, the admin's history. Every value that
identifies them is distinctive, so a search of the whole database finds it only where it is."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from answerbot.models import Episode
from conversations import services
from conversations.models import Contact, Conversation, Message, MessageEmail
from outbound_webhooks.models import WebhookDelivery, WebhookSubscription
from reports.models import CsatSurvey
from tests.channels.conftest import public_url, twilio_inbox, twilio_vector  # noqa: F401 (fixtures)
from tests.channels.worker import applied
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, UserFactory
from tests.factories.conversations import InboxFactory
from tests.fixtures import fixture_bytes

# What the Twilio fixture (tests/fixtures/twilio/inbound_sms.form) carries of the person.
SMS_PHONE = "+14155550199"
SMS_TEXT = "hasn't arrived yet"


@dataclass
class Person:
    contact: Contact
    conversations: list[Conversation]
    agent: object
    file_name: str
    file_content: bytes
    secrets: dict[str, str] = field(default_factory=dict)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def post_sms(client) -> None:
    vector = twilio_vector("inbound_sms.form")
    response = applied(
        client.post(
            urlsplit(vector["url"]).path,
            data=fixture_bytes("twilio/inbound_sms.form"),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=vector["X-Twilio-Signature"],
        )
    )
    assert response.status_code == 200


@pytest.fixture
def person(client, twilio_inbox, media_root) -> Person:  # noqa: F811 (the imported fixture)
    post_sms(client)
    contact = Message.objects.get().conversation.contact
    contact = services.contact_edit(
        contact=contact,
        name="Zebulon Quixwright",
        email="zebulon.quixwright@privacy-test.example",
        phone=SMS_PHONE,
    )
    agent = AgentProfileFactory(display_name="Ana").user
    widget = InboxFactory(name="Website")
    InboxMembershipFactory(inbox=widget, agent=agent)
    InboxMembershipFactory(inbox=twilio_inbox, agent=agent)
    file_content = b"PRIVACY-FILE-CONTENT-7f3a9c"
    message = services.message_receive(
        inbox=widget,
        contact=contact,
        body="My passport number is QX-99812-ZEB, please help",
        attachments=[
            services.AttachmentInput(
                mime_type="text/plain", file_name="zebulon-passport-scan.txt", content=file_content
            )
        ],
    )
    widget_conversation = message.conversation
    services.message_post_reply(
        conversation=widget_conversation, agent=agent, body="Thanks Zebulon Quixwright, checking QX-99812-ZEB"
    )
    services.message_post_reply(
        conversation=widget_conversation, agent=agent, body="Note: Quixwright sounded upset", is_private=True
    )
    MessageEmail.objects.create(
        message=message,
        subject="Passport trouble for Quixwright",
        from_address="zebulon.quixwright@privacy-test.example",
        to=["help@business.example"],
    )
    sms_conversation = Conversation.objects.get(inbox=twilio_inbox)
    for conversation in (sms_conversation, widget_conversation):
        services.conversation_resolve(conversation=conversation, actor=agent)
    CsatSurvey.objects.create(
        conversation=widget_conversation,
        inbox=widget,
        resolved_at=timezone.now(),
        state=CsatSurvey.State.ANSWERED,
        rating=2,
        rated_at=timezone.now(),
        comment="Zebulon says the wait was awful-93kq",
    )
    subscription = WebhookSubscription.objects.create(
        name="CRM", url="https://crm.example/hook", event_types=[]
    )
    WebhookDelivery.objects.create(
        subscription=subscription,
        event_type="message.created",
        conversation_id=widget_conversation.pk,
        payload={"sender": {"name": "Zebulon Quixwright"}, "body": "QX-99812-ZEB"},
        next_attempt_at=timezone.now(),
    )
    Episode.objects.create(
        conversation=widget_conversation,
        inbox=widget,
        contact=contact,
        channel_type=widget.channel_type,
        state=Episode.State.ENDED,
        question="Where is my passport QX-99812-ZEB",
        started_at=timezone.now(),
        last_turn_at=timezone.now(),
    )
    admin = UserFactory(username="privacy-admin", is_superuser=True, is_staff=True)
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=str(contact.pk),
        object_repr=str(contact),
        action_flag=CHANGE,
        change_message="[]",
    )
    return Person(
        contact=contact,
        conversations=[sms_conversation, widget_conversation],
        agent=agent,
        file_name="zebulon-passport-scan.txt",
        file_content=file_content,
        secrets={
            "name": "Quixwright",
            "email": "zebulon.quixwright",
            "phone": SMS_PHONE.lstrip("+"),
            "sms text": SMS_TEXT,
            "sms text, form-encoded": "arrived+yet",
            "message text": "QX-99812-ZEB",
            "csat comment": "awful-93kq",
            "file name": "zebulon-passport-scan",
            "file content": file_content.decode(),
        },
    )
