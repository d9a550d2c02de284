"""`manage.py seed_demo`: the demo workspace, built through the services, and idempotent."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Model
from django.utils import timezone

from agents.demo import DEMO_CONVERSATIONS
from agents.models import AgentProfile, CannedResponse, InboxMembership, Team
from conversations import registry
from conversations.models import (
    ChannelType,
    Contact,
    ContactIdentity,
    Conversation,
    Inbox,
    Label,
    Message,
    OutboundDelivery,
    ReadMarker,
)

pytestmark = pytest.mark.django_db
User = get_user_model()
Status = Conversation.Status
SEEDED_MODELS: tuple[type[Model], ...] = (
    Contact,
    ContactIdentity,
    Conversation,
    Message,
    User,
    AgentProfile,
    Inbox,
    Label,
    CannedResponse,
    Team,
    InboxMembership,
    OutboundDelivery,
    ReadMarker,
    Conversation.labels.through,
    Team.members.through,
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Authentication is what is under test, not PBKDF2's cost."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed_demo(**options: object) -> str:
    output = StringIO()
    call_command("seed_demo", stdout=output, **options)
    return output.getvalue()


def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in SEEDED_MODELS}


def conversation_states() -> list[tuple]:
    return list(
        Conversation.objects.order_by("pk").values_list(
            "pk", "status", "assignee_id", "team_id", "priority", "last_seq", "snoozed_until", "waiting_since"
        )
    )


SMS, WHATSAPP, MESSENGER, TELEGRAM = (
    "SMS +1 415 555 0100",
    "WhatsApp +1 555 078 3881",
    "Messenger: Parley Demo",
    "Telegram @parley_support_bot",
)
EMAIL = "Email support@parley.example"
PROVIDER_INBOXES = {SMS, WHATSAPP, MESSENGER, TELEGRAM, EMAIL}
HELP_CHAT = "Help chat (answer bot)"


def test_it_creates_an_inbox_per_channel():
    seed_demo()
    inboxes = {inbox.name: inbox for inbox in Inbox.objects.all()}
    assert set(inboxes) == {"Website chat", "Live support", HELP_CHAT, *PROVIDER_INBOXES}
    assert (inboxes[HELP_CHAT].channel_type, inboxes[HELP_CHAT].public_key) == (
        ChannelType.WEB_WIDGET,
        "demo-help-chat",
    )
    website, live, sms = inboxes["Website chat"], inboxes["Live support"], inboxes[SMS]
    assert (website.channel_type, website.mode) == (ChannelType.WEB_WIDGET, Inbox.Mode.MESSAGING)
    assert website.greeting
    assert (live.channel_type, live.mode) == (ChannelType.WEB_WIDGET, Inbox.Mode.LIVE)
    assert live.session_timeout == timedelta(minutes=10)
    assert (sms.channel_type, sms.mode) == (ChannelType.SMS, Inbox.Mode.MESSAGING)
    channels = {name: (inboxes[name].channel_type, inboxes[name].public_key) for name in PROVIDER_INBOXES}
    assert channels == {
        SMS: (ChannelType.SMS, "demo-sms"),
        WHATSAPP: (ChannelType.WHATSAPP, "demo-whatsapp"),
        MESSENGER: (ChannelType.MESSENGER, "demo-messenger"),
        TELEGRAM: (ChannelType.TELEGRAM, "demo-telegram"),
        EMAIL: (ChannelType.EMAIL, "demo-email"),
    }


def test_provider_inboxes_have_credentials_of_their_own():
    """Everything an adapter needs to send and verify, generated per install (the simulator
    stands in for the providers in `make run`), so no two demo installs share a secret."""
    seed_demo()
    configs = {inbox.name: inbox.config for inbox in Inbox.objects.filter(name__in=PROVIDER_INBOXES)}
    assert configs[SMS]["phone_number"] == "+14155550100"
    assert re.fullmatch(r"AC[0-9a-f]{32}", configs[SMS]["account_sid"])
    assert re.fullmatch(r"[0-9a-f]{32}", configs[SMS]["auth_token"])
    whatsapp = {"phone_number_id", "access_token", "app_secret", "verify_token", "waba_id"}
    assert whatsapp <= set(configs[WHATSAPP])
    assert {"page_id", "page_access_token", "app_secret", "verify_token"} <= set(configs[MESSENGER])
    assert re.fullmatch(r"\d{10}:[\w-]+", configs[TELEGRAM]["bot_token"])
    assert re.fullmatch(r"[\w-]{16,}", configs[TELEGRAM]["secret_token"])
    assert all(all(value for value in config.values()) for config in configs.values())
    assert configs[WHATSAPP]["app_secret"] != configs[MESSENGER]["app_secret"]
    assert re.fullmatch(r"[0-9a-f]{32}", configs[EMAIL]["mailgun_signing_key"])
    assert (configs[EMAIL]["smtp_host"], configs[EMAIL]["smtp_security"]) == ("127.0.0.1", "none")


def test_every_demo_inbox_passes_the_admins_check_of_its_settings():
    """An administrator who opens a demo inbox in the admin can save it as it is."""
    seed_demo()
    for inbox in Inbox.objects.all():
        assert registry.config_problems(inbox.channel_type, inbox.config) == [], inbox.name


def test_an_sms_inbox_from_an_older_seed_gets_credentials_and_keeps_its_key():
    """`make run` on a var/ seeded before the simulator: the SMS inbox (no credentials, a random
    key) is completed, and the new inboxes go to the demo agents already there."""
    seed_demo()
    sms = Inbox.objects.get(name=SMS)
    Inbox.objects.filter(pk=sms.pk).update(config={"phone_number": "+14155550100"}, public_key="older-key")
    Inbox.objects.filter(name__in=PROVIDER_INBOXES - {SMS}).delete()
    output = seed_demo()
    sms.refresh_from_db()
    assert sms.public_key == "older-key"
    assert {"account_sid", "auth_token", "phone_number"} <= set(sms.config)
    assert "4 inboxes, credentials for 1 older inboxes" in output
    ben_works = set(
        InboxMembership.objects.filter(agent__username="ben").values_list("inbox__name", flat=True)
    )
    assert ben_works >= PROVIDER_INBOXES


def test_the_demo_agents_log_in_with_the_demo_password():
    seed_demo()
    for username in ("admin", "ana", "ben", "supervisor"):
        user = authenticate(username=username, password="parley-demo")
        assert user is not None, username
        assert user.is_staff
    assert User.objects.get(username="admin").is_superuser
    assert not User.objects.get(username="ana").is_superuser
    assert AgentProfile.objects.get(user__username="ben").display_name == "Ben Okafor"


def test_the_demo_supervisor_works_no_inbox_as_a_member_and_has_no_admin():
    seed_demo()
    supervisor = User.objects.get(username="supervisor")
    assert supervisor.agent_profile.role == AgentProfile.Role.SUPERVISOR
    assert not supervisor.is_superuser
    assert not InboxMembership.objects.filter(agent=supervisor).exists()
    assert not supervisor.teams.exists()


def test_agents_work_their_inboxes_and_the_support_team():
    seed_demo()
    memberships = {
        username: set(
            InboxMembership.objects.filter(agent__username=username).values_list("inbox__name", flat=True)
        )
        for username in ("admin", "ana", "ben")
    }
    every_inbox = {"Website chat", "Live support", *PROVIDER_INBOXES}
    assert memberships == {
        "admin": every_inbox,
        "ana": every_inbox,
        "ben": {"Website chat", *PROVIDER_INBOXES},
    }
    support = Team.objects.get(name="Support")
    assert set(support.members.values_list("username", flat=True)) == {"ana", "ben"}


def test_labels_and_canned_responses_are_ready_to_use():
    seed_demo()
    assert set(Label.objects.values_list("name", flat=True)) == {"billing", "bug", "feature-request", "vip"}
    canned = dict(CannedResponse.objects.values_list("short_code", "content"))
    assert {"hello", "refund", "thanks", "hours"} <= set(canned)
    assert all(len(content) > 20 for content in canned.values())


def test_every_conversation_numbers_its_messages_without_gaps():
    seed_demo()
    conversations = Conversation.objects.all()
    assert len(conversations) == len(DEMO_CONVERSATIONS)
    assert 6 <= len(conversations) <= 8
    for conversation in conversations:
        seqs = list(conversation.messages.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1)), conversation
        assert conversation.last_seq == len(seqs)


def test_conversations_show_every_status_and_a_real_history():
    seed_demo()
    statuses = set(Conversation.objects.values_list("status", flat=True))
    assert statuses == {Status.OPEN, Status.PENDING, Status.SNOOZED, Status.RESOLVED}
    assert Conversation.objects.filter(
        status=Status.OPEN, assignee=None, waiting_since__isnull=False
    ).exists()
    assert Conversation.objects.filter(status=Status.OPEN, assignee__isnull=False).exists()
    snoozed = Conversation.objects.get(status=Status.SNOOZED)
    assert snoozed.snoozed_until > timezone.now()
    assert Conversation.objects.filter(priority__gt=Conversation.Priority.NONE, labels__isnull=False).exists()
    assert Message.objects.filter(sender_kind=Message.SenderKind.AGENT, is_private=True).exists()
    # Activity lines come from the services, so the status changes went through them.
    assert Message.objects.filter(sender_kind=Message.SenderKind.SYSTEM, body__contains="resolved").exists()


def test_each_contact_is_known_by_its_identity_on_the_inbox():
    seed_demo()
    for conversation in Conversation.objects.select_related("contact"):
        assert conversation.contact.name
        assert ContactIdentity.objects.filter(contact=conversation.contact, inbox=conversation.inbox).exists()
    assert ContactIdentity.objects.filter(
        inbox__channel_type=ChannelType.SMS, source_id="+14155550123"
    ).exists()


def test_sms_replies_wait_in_the_outbox():
    seed_demo()
    sms_replies = Message.objects.filter(
        inbox__channel_type=ChannelType.SMS, sender_kind=Message.SenderKind.AGENT, is_private=False
    )
    assert sms_replies.exists()
    for reply in sms_replies:
        assert reply.delivery_status == Message.DeliveryStatus.PENDING
        assert reply.outbound.state == OutboundDelivery.State.QUEUED
    assert OutboundDelivery.objects.count() == sms_replies.count()


def test_a_second_run_creates_and_changes_nothing():
    seed_demo()
    counts, states = row_counts(), conversation_states()
    output = seed_demo()
    assert row_counts() == counts
    assert conversation_states() == states
    assert "nothing changed" in output


def test_an_existing_admin_account_is_used_as_it_is():
    User.objects.create_superuser(username="admin", email="owner@example.com", password="owners-password")
    seed_demo()
    assert authenticate(username="admin", password="owners-password") is not None
    assert authenticate(username="admin", password="parley-demo") is None
    assert Conversation.objects.count() == len(DEMO_CONVERSATIONS)


def test_an_account_that_cannot_play_its_part_stops_the_seed_and_writes_nothing():
    User.objects.create_user(username="ana", password="anas-own-password", is_staff=True)
    counts = row_counts()
    with pytest.raises(CommandError, match="ana is not a member of the inbox"):
        seed_demo()
    assert row_counts() == counts
    assert authenticate(username="ana", password="anas-own-password") is not None


@pytest.mark.parametrize("run", [1, 2])
def test_the_output_lists_the_demo_logins_and_the_admin_url(monkeypatch, run):
    monkeypatch.setenv("PORT", "8123")
    for _ in range(run):
        output = seed_demo()
    assert "Demo logins (password: parley-demo)" in output
    for username in ("admin", "ana", "ben", "supervisor"):
        assert f"  {username} " in output
    assert "administrator" in output
    [supervisor_line] = [line for line in output.splitlines() if line.startswith("  supervisor ")]
    assert "(supervisor)" in supervisor_line and "/admin/" not in supervisor_line
    assert "http://127.0.0.1:8123/admin/" in output


def test_the_port_option_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    assert "http://127.0.0.1:9000/admin/" in seed_demo(port=9000)
