"""What the demo workspace holds: its inboxes, agents, labels, saved replies, and the
conversations it starts with, written as scripts to read top to bottom (seed.py plays them).

The SMS, WhatsApp, Messenger, Telegram and email inboxes carry credentials generated for this install:
`make run`'s provider simulator (channels_in) stands in for the providers, takes them, and signs
its webhooks with their secrets. They have fixed public keys, so their webhook URLs are known.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings

from conversations.models import ChannelType, Conversation, Inbox

from ..models import AgentProfile

DEMO_PASSWORD = "parley-demo"  # noqa: S105 - public on purpose: printed for every demo login
SUPPORT_TEAM = "Support"
WEBSITE_CHAT = "Website chat"
LIVE_SUPPORT = "Live support"
HELP_CHAT = "Help chat (answer bot)"  # answerbot's demo turns its bot on (answerbot/demo.py)
SMS_LINE = "SMS +1 415 555 0100"
WHATSAPP_LINE = "WhatsApp +1 555 078 3881"
MESSENGER_PAGE = "Messenger: Parley Demo"
TELEGRAM_BOT = "Telegram @parley_support_bot"
EMAIL_SUPPORT = "Email support@parley.example"
PROVIDER_INBOXES = (SMS_LINE, WHATSAPP_LINE, MESSENGER_PAGE, TELEGRAM_BOT, EMAIL_SUPPORT)
# Where `make run`'s simulator runs its SMTP server (simulator/runtime.py DEMO_SMTP_PORT): the
# demo email inbox's replies go there, and its mail comes in as Mailgun's signed forward.
DEMO_SMTP_PORT = 2525
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
    role: str = AgentProfile.Role.AGENT
    in_support_team: bool = True
    languages: str = "en"
    skills: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"

    @property
    def role_label(self) -> str:
        """What the demo logins call them."""
        return "administrator" if self.is_admin else AgentProfile.Role(self.role).label.lower()


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
        HELP_CHAT,
        ChannelType.WEB_WIDGET,
        Inbox.Mode.MESSAGING,
        greeting="Hi! Ask anything: our answer bot replies at once, and a person is one tap away.",
        public_key="demo-help-chat",
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
    DemoInbox(
        EMAIL_SUPPORT,
        ChannelType.EMAIL,
        Inbox.Mode.MESSAGING,
        config={
            "address": "support@parley.example",
            "smtp_host": "127.0.0.1",
            "smtp_port": DEMO_SMTP_PORT,
            "smtp_security": "none",
        },
        public_key="demo-email",
        generated=("mailgun_signing_key",),
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
    # A member of no inbox: the role alone shows them every inbox and every agent's reports.
    DemoAgent(
        "supervisor",
        "Sam Supervisor",
        (),
        role=AgentProfile.Role.SUPERVISOR,
        in_support_team=False,
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
