"""A small business, built through the services wherever they own the write, for admin pages."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from agents.models import CannedResponse, Mention, RoutingDecision, SavedFilter, Skill
from agents.presence import agent_desk_connected
from answerbot.models import AnswerBot, Episode
from automation.models import Macro, MacroAction, Rule, RuleAction, RuleCondition, RuleRun
from channels_in.models import MailboxCursor, WebhookReceipt
from conversations import registry, services
from conversations.models import Conversation, Inbox, MessageEmail, MessageTemplate
from knowledge.models import ArticleImage
from knowledge.services import article_create, article_record_feedback, category_create, portal_create
from outbound_webhooks.models import WebhookDelivery, WebhookSubscription
from privacy.models import RetentionPolicy
from reports.models import CsatSettings, CsatSurvey, SlaClock, SlaPolicy
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, TeamFactory
from tests.factories.conversations import ContactIdentityFactory, InboxFactory, LabelFactory


@pytest.fixture(autouse=True)
def providers_out_of_reach(settings) -> None:
    """Saving an inbox asks its provider whether new credentials work; here no provider answers
    (a port nothing listens on), so a save goes ahead unasked, unless a test points them at the
    fake provider (test_inbox_credentials_check.py)."""
    settings.TWILIO_API_URL = settings.TELEGRAM_API_URL = settings.META_GRAPH_URL = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Agents are made by the dozen here; the production hasher would spend seconds on each run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Business:
    inboxes: list[Inbox]
    conversations: list[Conversation] = field(default_factory=list)


def add_conversation(inbox: Inbox, number: int, labels: list, team) -> Conversation:
    """One customer thread: a message in, a reply out (to a customer who is there, so a session
    records the stretch), a private note, an assignee with a team."""
    identity = ContactIdentityFactory(inbox=inbox, source_id=f"+1415555{number:04d}")
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    team.members.add(agent)
    first = services.message_receive(
        inbox=inbox,
        contact=identity.contact,
        body=f"Hello, order {number} is late",
        attachments=[
            services.AttachmentInput(mime_type="image/jpeg", remote_url="https://example.com/a.jpg")
        ],
    )
    conversation = first.conversation
    conversation.labels.set(labels)
    services.conversation_assign(conversation=conversation, assignee=agent, actor=agent, team_id=team.pk)
    services.message_post_reply(conversation=conversation, agent=agent, body="On it!")
    services.message_post_reply(conversation=conversation, agent=agent, body="VIP", is_private=True)
    agent_desk_connected(agent=agent, channel_name=f"specific.test!{conversation.pk}")
    conversation.refresh_from_db()
    return conversation


@pytest.fixture
def build_business(db) -> Callable[[int], Business]:
    """build_business(rows) -> Business with `rows` conversations spread over a widget and an SMS inbox.

    Replies on SMS queue an outbox row; its task waits for a commit that never comes in a test."""

    def build(rows: int) -> Business:
        business = Business(inboxes=[InboxFactory(), InboxFactory(channel_type="sms")])
        labels = [LabelFactory(name="billing"), LabelFactory(name="vip")]
        teams = [TeamFactory(), TeamFactory()]
        for number in range(rows):
            inbox = business.inboxes[number % 2]
            business.conversations.append(add_conversation(inbox, number, labels, teams[number % 2]))
        return business

    return build


@pytest.fixture
def every_kind_of_record(build_business, sms_sender) -> Business:
    """At least one row of every model the admin lists, including a delivery the provider refused."""
    business = build_business(2)
    sms_conversation = next(c for c in business.conversations if c.inbox.channel_type == "sms")
    reply = sms_conversation.messages.get(outbound__isnull=False)
    sms_sender.failures.append(registry.PermanentDeliveryError("Unreachable handset", code="30003"))
    services.message_deliver(message_id=reply.pk)
    CannedResponse.objects.create(short_code="thanks", content="Thanks for writing to us!")
    SavedFilter.objects.create(
        agent=business.conversations[0].assignee, name="Waiting longest", query="view=all&sort=waiting"
    )
    WebhookReceipt.objects.create(
        inbox=sms_conversation.inbox, provider="twilio", key="message:SM1", event={}, raw_body="Body=Hi"
    )
    MessageEmail.objects.create(
        message=reply, subject="Re: Your order", cc=["bob@example.net"], html="<p>Hi</p>"
    )
    MailboxCursor.objects.create(inbox=sms_conversation.inbox, uid_validity=1796535089, last_uid=42)
    MessageTemplate.objects.create(
        inbox=sms_conversation.inbox,
        name="order_update",
        language="en_US",
        status="APPROVED",
        body="Hello {{1}}",
        synced_at=timezone.now(),
    )
    subscription = WebhookSubscription.objects.create(
        name="CRM", url="https://crm.example.com/parley", event_types=["message.created"]
    )
    WebhookDelivery.objects.create(
        subscription=subscription, event_type="message.created", payload={}, next_attempt_at=timezone.now()
    )
    Group.objects.create(name="Supervisors")
    billing = Skill.objects.create(name="billing", description="Refunds and invoices")
    first = business.conversations[0]
    first.assignee.agent_profile.skills.add(billing)
    RoutingDecision.objects.create(
        conversation=first, inbox=first.inbox, agent=first.assignee, routed_at=first.created_at
    )
    note = first.messages.get(is_private=True, body="VIP")
    mentioned = business.conversations[1].assignee
    Mention.objects.create(agent=mentioned, message=note, author=first.assignee, created_at=note.created_at)
    _self_service(business, first)
    _satisfaction(first)
    _service_levels(first)
    _automation(first)
    RetentionPolicy.objects.create(inbox=first.inbox, days=365, mode=RetentionPolicy.Mode.ANONYMISE)
    return business


def _automation(conversation) -> None:
    """A rule (a condition, an action) that ran once on the conversation, and a shared macro."""
    rule = Rule.objects.create(name="Refunds to billing", trigger="message_received")
    RuleCondition.objects.create(rule=rule, field="message_text", operator="contains", value="refund")
    RuleAction.objects.create(rule=rule, kind="set_priority", argument="high")
    RuleRun.objects.create(
        conversation=conversation,
        rule=rule,
        rule_name=rule.name,
        trigger=rule.trigger,
        outcome=RuleRun.Outcome.APPLIED,
        actions=["Set priority: high"],
    )
    macro = Macro.objects.create(name="Close politely")
    MacroAction.objects.create(macro=macro, kind="send_message", argument="Thanks, closing this now.")
    MacroAction.objects.create(macro=macro, kind="resolve", argument="", position=1)


def _service_levels(conversation) -> None:
    """A policy on the inbox, and the first-response clock it started on the conversation."""
    policy = SlaPolicy.objects.create(
        name="Standard", inbox=conversation.inbox, first_response=timedelta(minutes=30)
    )
    now = timezone.now()
    SlaClock.objects.create(
        conversation_id=conversation.pk,
        inbox_id=conversation.inbox_id,
        policy=policy,
        target=SlaClock.Target.FIRST_RESPONSE,
        started_at=now,
        due_at=now + timedelta(minutes=30),
    )


def _satisfaction(conversation) -> None:
    """The inbox asks for a rating on resolve, and one survey came back rated, with a comment."""
    CsatSettings.objects.create(inbox=conversation.inbox, enabled=True)
    CsatSurvey.objects.create(
        conversation=conversation,
        inbox=conversation.inbox,
        resolved_at=timezone.now(),
        agent=conversation.assignee,
        state=CsatSurvey.State.ANSWERED,
        rating=5,
        comment="Quick and kind, thanks!",
    )


def _self_service(business: Business, conversation) -> None:
    """A help center with an article (its question, image and a reader's vote) and the inbox's
    answer bot with one finished episode."""
    portal = portal_create(name="Acme help", slug="acme", inboxes=[conversation.inbox])
    article = article_create(
        portal=portal,
        title="Reset your password",
        body="Open **Settings**.",
        questions=["forgot password"],
        author=conversation.assignee,
        status="published",
        category=category_create(portal=portal, name="Account"),
    )
    article_record_feedback(article=article, helpful=True, reader_key="reader-1")
    ArticleImage.objects.create(
        portal=portal, file=ContentFile(b"GIF89a", name="a.gif"), mime_type="image/gif"
    )
    AnswerBot.objects.create(inbox=conversation.inbox, enabled=True, portal=portal)
    now = timezone.now()
    Episode.objects.create(
        conversation=conversation,
        inbox=conversation.inbox,
        contact=conversation.contact,
        channel_type=conversation.inbox.channel_type,
        state="ended",
        question="forgot password",
        outcome="handed_off",
        handoff_reason="asked_for_person",
        started_at=now,
        last_turn_at=now,
        ended_at=now,
    )
