"""Demo data for `manage.py seed_demo`: an inbox per channel, three agents, conversations with history.

Every conversation and message is written through the services (contact_identify, message_receive,
message_post_reply, conversation_* and conversation_assign_to_agent), so `seq`, activity lines and
events are exactly what real traffic produces. Inboxes, labels, the team and canned responses have
no services and are created with get_or_create on stable natural keys. Seeding is idempotent: a
second run finds everything by name (or by the contact's identity on its inbox) and writes nothing.

The SMS, WhatsApp, Messenger and Telegram inboxes carry credentials generated for this install:
`make run`'s provider simulator (channels_in) stands in for the providers, takes them, and signs
its webhooks with their secrets. They have fixed public keys, so their webhook URLs are known.
"""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from conversations.models import ChannelType, Contact, Conversation, Inbox, Label, new_public_key
from conversations.services import (
    contact_identify,
    conversation_mark_pending,
    conversation_resolve,
    conversation_snooze,
    message_post_reply,
    message_receive,
)

from .models import AgentProfile, CannedResponse, InboxMembership, Skill, Team
from .services import agent_create, conversation_assign_to_agent

DEMO_PASSWORD = "parley-demo"  # noqa: S105 - public on purpose: printed for every demo login
SUPPORT_TEAM = "Support"
WEBSITE_CHAT = "Website chat"
LIVE_SUPPORT = "Live support"
SMS_LINE = "SMS +1 415 555 0100"
WHATSAPP_LINE = "WhatsApp +1 555 078 3881"
MESSENGER_PAGE = "Messenger: Parley Demo"
TELEGRAM_BOT = "Telegram @parley_support_bot"
PROVIDER_INBOXES = (SMS_LINE, WHATSAPP_LINE, MESSENGER_PAGE, TELEGRAM_BOT)
Status = Conversation.Status
Priority = Conversation.Priority


@dataclass(frozen=True)
class DemoInbox:
    name: str
    channel_type: str
    mode: str
    greeting: str = ""
    config: dict = field(default_factory=dict)
    session_timeout: timedelta = settings.PARLEY_DEFAULT_SESSION_TIMEOUT
    timezone: str = "UTC"
    business_hours: dict = field(default_factory=dict)  # empty: always open
    public_key: str = ""  # empty: a random one
    generated: tuple[str, ...] = ()  # config keys given fresh credentials when the inbox is created


@dataclass(frozen=True)
class DemoAgent:
    username: str
    display_name: str
    inbox_names: tuple[str, ...]
    is_admin: bool = False
    in_support_team: bool = True
    languages: str = "en"
    skills: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"


@dataclass(frozen=True)
class CustomerWrites:
    body: str


@dataclass(frozen=True)
class AgentReplies:
    agent: str
    body: str
    is_private: bool = False


@dataclass(frozen=True)
class AgentAssigns:
    agent: str
    assignee: str
    to_support_team: bool = False


@dataclass(frozen=True)
class AgentSetsStatus:
    agent: str
    status: str
    snooze_for: timedelta | None = None


Step = CustomerWrites | AgentReplies | AgentAssigns | AgentSetsStatus


@dataclass(frozen=True)
class DemoConversation:
    """One conversation's history, played in order; the contact is found again by `source_id`."""

    inbox: str
    source_id: str
    contact_name: str
    steps: tuple[Step, ...]
    email: str = ""
    phone: str = ""
    labels: tuple[str, ...] = ()
    priority: int = Priority.NONE


DEMO_INBOXES = (
    DemoInbox(
        WEBSITE_CHAT,
        ChannelType.WEB_WIDGET,
        Inbox.Mode.MESSAGING,
        greeting="Hi there! Ask us anything: we usually reply within a few minutes.",
        timezone="Europe/Paris",
        business_hours={day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    ),
    DemoInbox(
        LIVE_SUPPORT,
        ChannelType.WEB_WIDGET,
        Inbox.Mode.LIVE,
        greeting="You're chatting live with our support team. How can we help?",
        session_timeout=timedelta(minutes=10),
    ),
    DemoInbox(
        SMS_LINE,
        ChannelType.SMS,
        Inbox.Mode.MESSAGING,
        config={"phone_number": "+14155550100"},
        public_key="demo-sms",
        generated=("account_sid", "auth_token"),
    ),
    DemoInbox(
        WHATSAPP_LINE,
        ChannelType.WHATSAPP,
        Inbox.Mode.MESSAGING,
        config={"phone_number_id": "106540352240001", "waba_id": "102290129340398"},
        public_key="demo-whatsapp",
        generated=("access_token", "app_secret", "verify_token"),
    ),
    DemoInbox(
        MESSENGER_PAGE,
        ChannelType.MESSENGER,
        Inbox.Mode.MESSAGING,
        config={"page_id": "1122334455660001"},
        public_key="demo-messenger",
        generated=("page_access_token", "app_secret", "verify_token"),
    ),
    DemoInbox(
        TELEGRAM_BOT,
        ChannelType.TELEGRAM,
        Inbox.Mode.MESSAGING,
        public_key="demo-telegram",
        generated=("bot_token", "secret_token"),
    ),
)

DEMO_AGENTS = (
    DemoAgent(
        "admin",
        "Alex Admin",
        (WEBSITE_CHAT, LIVE_SUPPORT, *PROVIDER_INBOXES),
        is_admin=True,
        in_support_team=False,
    ),
    DemoAgent("ana", "Ana Lima", (WEBSITE_CHAT, LIVE_SUPPORT, *PROVIDER_INBOXES), languages="en, pt, es"),
    DemoAgent(
        "ben", "Ben Okafor", (WEBSITE_CHAT, *PROVIDER_INBOXES), languages="en, fr", skills=("billing",)
    ),
)

DEMO_LABELS = {
    "billing": ("Payments, invoices, refunds", "#16a34a"),
    "bug": ("Something in the product is broken", "#dc2626"),
    "feature-request": ("Customers asking for something new", "#2563eb"),
    "vip": ("Key accounts: answer first", "#9333ea"),
}

DEMO_CANNED_RESPONSES = {
    "hello": "Hi there, thanks for reaching out! I'm looking into this for you right now.",
    "refund": (
        "I'm sorry about that. I've issued a refund to your original payment method; it usually "
        "shows up within 5-10 business days, depending on your bank."
    ),
    "thanks": "Thanks for your patience! Is there anything else I can help you with today?",
    "hours": (
        "Our support team is available Monday to Friday, 8am-6pm Pacific, and Saturday 9am-1pm. "
        "Messages sent outside those hours are answered first thing the next business day."
    ),
}


# fmt: off
# Hand-laid out as a script to read top to bottom; `ruff format` would put every argument on a line.
DEMO_CONVERSATIONS = (
    DemoConversation(WEBSITE_CHAT, "visitor-7f3a9c", "Maria Garcia", email="maria.garcia@example.com", steps=(
        CustomerWrites("Hi! I ordered a standing desk last Tuesday (order #48213) and the tracking page "
                       "hasn't moved since Friday. Any idea where it is?"),
        AgentAssigns("ana", "ana"),
        AgentReplies("ana", "Hi Maria, thanks for the order number! Let me check with the carrier."),
        AgentReplies("ana", "Carrier: held at Oakland depot, torn label. Trace TR-5521.", is_private=True),
        AgentReplies("ana", "Good news: the carrier found it at their Oakland depot (the label was damaged). "
                     "It's back on the truck and should arrive Thursday."),
        CustomerWrites("Perfect, thank you so much!"),
        AgentReplies("ana", "You're welcome, Maria. Enjoy the new desk!"),
        AgentSetsStatus("ana", Status.RESOLVED),
    )),
    DemoConversation(WEBSITE_CHAT, "visitor-2b81d0", "Daniel Kim", email="daniel.kim@example.com",
                     labels=("billing",), priority=Priority.MEDIUM, steps=(
        CustomerWrites("I was charged twice for my March subscription: two charges of $29 on the 3rd. "
                       "Can you refund one of them?"),
        AgentAssigns("admin", "ben", to_support_team=True),
        AgentReplies("ben", "Duplicate charge confirmed in the billing dashboard.", is_private=True),
        AgentReplies("ben", "Sorry about that, Daniel! I can see the duplicate charge. Could you confirm the "
                     "last four digits of the card, so I refund the right one?"),
        AgentSetsStatus("ben", Status.PENDING),
    )),
    DemoConversation(WEBSITE_CHAT, "visitor-c4e517", "Priya Shah", email="priya@northwind.example", steps=(
        CustomerWrites("Hi, we're a team of 12. Is the Growth plan priced per seat or flat?"),
        CustomerWrites("And is there a discount if we pay annually?"),
    )),
    DemoConversation(LIVE_SUPPORT, "visitor-91aa3f", "Tom Becker", email="tom.becker@example.com",
                     labels=("bug",), priority=Priority.HIGH, steps=(
        CustomerWrites("The 'Export to CSV' button on the reports page does nothing: no download at all."),
        AgentAssigns("ana", "ana", to_support_team=True),
        AgentReplies("ana", "Sorry about that! Which browser and version are you using?"),
        CustomerWrites("Safari 17.4 on a Mac."),
        AgentReplies("ana", "Reproduced on Safari 17.4, fine in Chrome. Filed as ENG-2291.", is_private=True),
        AgentReplies("ana", "I could reproduce it and our engineers are on it. Chrome and Firefox export "
                     "fine meanwhile; I'll let you know as soon as the fix ships."),
    )),
    DemoConversation(LIVE_SUPPORT, "visitor-5d0e62", "Lena Fischer", email="lena.fischer@example.com", steps=(
        CustomerWrites("How do I reset my password? The reset email never arrives."),
        AgentReplies("admin", "Hi Lena! Reset emails come from no-reply@parley.example; could you check your "
                     "spam folder? I've just sent you a fresh link."),
        CustomerWrites("Found it in spam - I'm back in. Thanks!"),
        AgentSetsStatus("admin", Status.RESOLVED),
    )),
    DemoConversation(SMS_LINE, "+14155550123", "Carlos Rivera", phone="+14155550123", steps=(
        CustomerWrites("Hi, is my installation appointment still on for tomorrow at 3pm?"),
        AgentAssigns("ana", "ana"),
        AgentReplies("ana", "Hi Carlos, yes! Our technician will arrive between 3 and 4pm tomorrow."),
        CustomerWrites("Great, see you then."),
        AgentReplies("ana", "See you tomorrow, Carlos!"),
        AgentReplies("ana", "Follow up: ask Carlos how the installation went.", is_private=True),
        AgentSetsStatus("ana", Status.SNOOZED, snooze_for=timedelta(days=2)),
    )),
    DemoConversation(SMS_LINE, "+14155550187", "Grace Okoye", phone="+14155550187",
                     email="grace@okoye-design.example", labels=("feature-request", "vip"),
                     priority=Priority.MEDIUM, steps=(
        CustomerWrites("Any chance you'll support exporting invoices to QuickBooks? We'd pay extra."),
        AgentAssigns("ben", "ben", to_support_team=True),
        AgentReplies("ben", "Hi Grace, it's on our roadmap! I've added your vote and will text you when "
                     "it's available."),
        CustomerWrites("Thanks Ben. Any rough timeline?"),
    )),
)
# fmt: on


@dataclass
class SeedReport:
    """How many of each thing this run created; all zero on a re-run."""

    inboxes: int = 0
    inbox_credentials: int = 0  # demo inboxes from an older seed, given their missing credentials
    agents: int = 0
    labels: int = 0
    canned_responses: int = 0
    conversations: int = 0

    @property
    def created_anything(self) -> bool:
        counts = (self.inboxes, self.inbox_credentials, self.agents, self.labels, self.canned_responses)
        return any((*counts, self.conversations))

    def summary(self) -> str:
        if not self.created_anything:
            return "Demo data already present; nothing changed."
        completed = (
            f", credentials for {self.inbox_credentials} older inboxes" if self.inbox_credentials else ""
        )
        return (
            f"Seeded demo data: {self.inboxes} inboxes{completed}, {self.agents} agents, "
            f"{self.labels} labels, {self.canned_responses} canned responses, "
            f"{self.conversations} conversations."
        )


@dataclass
class DemoCast:
    """What the conversation scripts refer to by name."""

    inboxes: dict[str, Inbox]
    agents: dict[str, AbstractBaseUser]
    team: Team
    labels: dict[str, Label]


def seed_demo() -> SeedReport:
    """Create the demo workspace, or nothing if it is already there. One transaction: all or none."""
    report = SeedReport()
    with transaction.atomic():
        seeded_before = set(
            Inbox.objects.filter(name__in=[spec.name for spec in DEMO_INBOXES]).values_list("pk", flat=True)
        )
        inboxes = {spec.name: _inbox_ensure(spec, report) for spec in DEMO_INBOXES}
        labels = {name: _label_ensure(name, report) for name in DEMO_LABELS}
        team, _ = Team.objects.get_or_create(
            name=SUPPORT_TEAM, defaults={"description": "First-line support for every channel."}
        )
        agents = {spec.username: _agent_ensure(spec, inboxes, team, report) for spec in DEMO_AGENTS}
        if seeded_before:  # an older demo workspace: its agents also work the inboxes added since
            _memberships_ensure(agents, {n: i for n, i in inboxes.items() if i.pk not in seeded_before})
        _canned_responses_ensure(agents["admin"], report)
        cast = DemoCast(inboxes=inboxes, agents=agents, team=team, labels=labels)
        for script in DEMO_CONVERSATIONS:
            if not _conversation_exists(script, inboxes[script.inbox]):
                _conversation_play(script, cast)
                report.conversations += 1
    return report


def _inbox_ensure(spec: DemoInbox, report: SeedReport) -> Inbox:
    key_taken = not spec.public_key or Inbox.objects.filter(public_key=spec.public_key).exists()
    inbox, created = Inbox.objects.get_or_create(
        name=spec.name,
        defaults={
            "channel_type": spec.channel_type,
            "mode": spec.mode,
            "greeting": spec.greeting,
            "config": _demo_config(spec),
            "session_timeout": spec.session_timeout,
            "timezone": spec.timezone,
            "business_hours": spec.business_hours,
            "public_key": new_public_key() if key_taken else spec.public_key,
        },
    )
    report.inboxes += created
    config = inbox.config or {}
    if not created and spec.generated and not any(config.get(key) for key in spec.generated):
        # Seeded before it had credentials: add them, keeping whatever an admin set.
        Inbox.objects.filter(pk=inbox.pk).update(config={**_demo_config(spec), **config})
        inbox.refresh_from_db(fields=["config"])
        report.inbox_credentials += 1
    return inbox


def _demo_config(spec: DemoInbox) -> dict:
    return {**spec.config, **{key: _demo_credential(key) for key in spec.generated}}


def _demo_credential(key: str) -> str:
    """Fresh for each install, in the shape the provider issues it."""
    if key == "account_sid":
        return "AC" + secrets.token_hex(16)
    if key == "bot_token":
        return f"{secrets.randbelow(9 * 10**9) + 10**9}:AA{secrets.token_urlsafe(24)}"
    return secrets.token_hex(16)


def _label_ensure(name: str, report: SeedReport) -> Label:
    description, color = DEMO_LABELS[name]
    label, created = Label.objects.get_or_create(
        name=name, defaults={"description": description, "color": color}
    )
    report.labels += created
    return label


def _agent_ensure(
    spec: DemoAgent, inboxes: dict[str, Inbox], team: Team, report: SeedReport
) -> AbstractBaseUser:
    """The demo agent by username; an existing account (demo or not) is left exactly as it is."""
    existing = get_user_model().objects.filter(username=spec.username).first()
    if existing is not None:
        return existing
    report.agents += 1
    agent = agent_create(
        username=spec.username,
        email=spec.email,
        password=DEMO_PASSWORD,
        display_name=spec.display_name,
        is_admin=spec.is_admin,
        inboxes=[inboxes[name] for name in spec.inbox_names],
        teams=[team] if spec.in_support_team else [],
    )
    profile = AgentProfile.objects.get(user=agent)
    profile.languages = spec.languages
    profile.save(update_fields=["languages"])
    profile.skills.set([Skill.objects.get_or_create(name=name)[0] for name in spec.skills])
    return agent


def _memberships_ensure(agents: dict[str, AbstractBaseUser], new_inboxes: dict[str, Inbox]) -> None:
    """The inboxes added to an older demo workspace go to its demo agents (an account created by
    this run got them from agent_create already)."""
    InboxMembership.objects.bulk_create(
        [
            InboxMembership(inbox=new_inboxes[name], agent=agents[spec.username])
            for spec in DEMO_AGENTS
            for name in spec.inbox_names
            if name in new_inboxes
        ],
        ignore_conflicts=True,
    )


def _canned_responses_ensure(author: AbstractBaseUser, report: SeedReport) -> None:
    for short_code, content in DEMO_CANNED_RESPONSES.items():
        _, created = CannedResponse.objects.get_or_create(
            short_code=short_code, defaults={"content": content, "created_by": author}
        )
        report.canned_responses += created


def _conversation_exists(script: DemoConversation, inbox: Inbox) -> bool:
    return Conversation.objects.filter(
        inbox=inbox, contact__identities__inbox=inbox, contact__identities__source_id=script.source_id
    ).exists()


def _conversation_play(script: DemoConversation, cast: DemoCast) -> Conversation:
    """Replay the script through the services, in order, as customer and agents would have."""
    inbox = cast.inboxes[script.inbox]
    contact = contact_identify(
        inbox=inbox,
        source_id=script.source_id,
        name=script.contact_name,
        email=script.email,
        phone=script.phone,
    )
    conversation: Conversation | None = None
    for step in script.steps:
        conversation = _step_play(step, inbox, contact, conversation, cast)
    if conversation is None:
        raise ValueError(f"The demo script for {script.source_id} has no steps.")
    _triage(conversation, [cast.labels[name] for name in script.labels], script.priority)
    return conversation


def _step_play(
    step: Step, inbox: Inbox, contact: Contact, conversation: Conversation | None, cast: DemoCast
) -> Conversation:
    if isinstance(step, CustomerWrites):
        message = message_receive(
            inbox=inbox, contact=contact, body=step.body, conversation_id=conversation and conversation.pk
        )
        return message.conversation
    if conversation is None:
        raise ValueError("A demo conversation starts with the customer writing.")
    agent = cast.agents[step.agent]
    if isinstance(step, AgentReplies):
        message_post_reply(conversation=conversation, agent=agent, body=step.body, is_private=step.is_private)
        return conversation
    if isinstance(step, AgentAssigns):
        team = cast.team if step.to_support_team else None
        return conversation_assign_to_agent(
            conversation=conversation, assignee=cast.agents[step.assignee], actor=agent, team=team
        )
    if isinstance(step, AgentSetsStatus):
        return _status_set(step, conversation, agent)
    raise TypeError(f"Unknown demo step {step!r}.")


def _status_set(step: AgentSetsStatus, conversation: Conversation, agent: AbstractBaseUser) -> Conversation:
    if step.status == Status.PENDING:
        return conversation_mark_pending(conversation=conversation, actor=agent)
    if step.status == Status.RESOLVED:
        return conversation_resolve(conversation=conversation, actor=agent)
    if step.status == Status.SNOOZED and step.snooze_for is not None:
        until = timezone.now() + step.snooze_for
        return conversation_snooze(conversation=conversation, until=until, actor=agent)
    raise ValueError(f"The demo cannot set status {step.status!r}.")


def _triage(conversation: Conversation, labels: list[Label], priority: int) -> None:
    """Labels and priority directly: no service owns these fields yet (the admin form edits them
    the same way); they carry no seq and announce nothing, so no invariant is at stake."""
    conversation.labels.set(labels)
    if priority != conversation.priority:
        Conversation.objects.filter(pk=conversation.pk).update(priority=priority)
