"""Seeding the demo workspace (script.py) for `manage.py seed_demo`.

Every conversation and message is written through the services (contact_identify, message_receive,
message_post_reply, conversation_* and conversation_assign_to_agent), so `seq`, activity lines and
events are exactly what real traffic produces. Inboxes, labels, the team and canned responses have
no services and are created with get_or_create on stable natural keys. Seeding is idempotent: a
second run finds everything by name (or by the contact's identity on its inbox) and writes nothing.
"""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from conversations.models import Contact, Conversation, Inbox, Label, new_public_key
from conversations.services import (
    contact_identify,
    conversation_mark_pending,
    conversation_resolve,
    conversation_snooze,
    message_post_reply,
    message_receive,
)

from ..models import AgentProfile, CannedResponse, InboxMembership, Skill, Team
from ..services import agent_create, conversation_assign_to_agent
from .script import (
    DEMO_AGENTS,
    DEMO_CANNED_RESPONSES,
    DEMO_CONVERSATIONS,
    DEMO_INBOXES,
    DEMO_LABELS,
    DEMO_PASSWORD,
    SUPPORT_TEAM,
    AgentAssigns,
    AgentReplies,
    AgentSetsStatus,
    CustomerWrites,
    DemoAgent,
    DemoConversation,
    DemoInbox,
    Status,
    Step,
)


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
        inbox.config = {**_demo_config(spec), **config}
        inbox.save(update_fields=["config"])  # a save: every process reads the inbox again
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
        role=spec.role,
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
