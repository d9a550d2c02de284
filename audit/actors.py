"""Who acted and on what, as value types: an entry keeps both as they were when it was written
(kind, id and a label), never a foreign key, so deleting a user, a rule or a contact leaves the
log whole, and erasing a contact leaves no personal data in it."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

LABEL_LENGTH = 200


class ActorKind(models.TextChoices):
    AGENT = "agent", "Agent"
    ADMINISTRATOR = "administrator", "Administrator"
    API_KEY = "api_key", "API key"
    AUTOMATION_RULE = "automation_rule", "Automation rule"
    SYSTEM = "system", "System"
    CUSTOMER = "customer", "Customer"  # a contact acting on their own data (the widget's export)
    ANONYMOUS = "anonymous", "Not signed in"  # a failed sign-in: whoever tried


@dataclass(frozen=True)
class Actor:
    """Who did it. `id` is the user's id for agents, administrators and API keys (a key belongs
    to one user; the key itself is never stored), the rule's id for an automation rule, the contact's
    for a customer, and empty for Parley itself."""

    kind: ActorKind
    id: str
    label: str

    @classmethod
    def agent(cls, user: AbstractBaseUser) -> "Actor":
        return cls(ActorKind.AGENT, str(user.pk), user_label(user))

    @classmethod
    def administrator(cls, user: AbstractBaseUser) -> "Actor":
        return cls(ActorKind.ADMINISTRATOR, str(user.pk), user_label(user))

    @classmethod
    def for_user(cls, user: AbstractBaseUser) -> "Actor":
        """A person by their standing: a superuser is an administrator wherever they act, anyone
        else an agent (the admin site names its users administrators itself)."""
        return cls.administrator(user) if user.is_superuser else cls.agent(user)

    @classmethod
    def api_key(cls, user: AbstractBaseUser) -> "Actor":
        """The API key of `user` (rest_framework.authtoken keys are one per user)."""
        return cls(ActorKind.API_KEY, str(user.pk), f"API key of {user_label(user)}")

    @classmethod
    def automation_rule(cls, rule_id: int | str, name: str) -> "Actor":
        return cls(ActorKind.AUTOMATION_RULE, str(rule_id), name[:LABEL_LENGTH])

    @classmethod
    def customer(cls, contact_id: int) -> "Actor":
        """A customer acting on themselves, named by their contact's id only: never by their
        name, which an erasure may take away later."""
        return cls(ActorKind.CUSTOMER, str(contact_id), f"Contact #{contact_id}")

    @classmethod
    def system(cls, label: str = "Parley") -> "Actor":
        return cls(ActorKind.SYSTEM, "", label)


@dataclass(frozen=True)
class Target:
    """What was acted on: `type` is the model's label in lower case ("conversations.conversation"),
    or a name of our own for what is not a row."""

    type: str
    id: str
    label: str

    @classmethod
    def of(cls, record: models.Model, label: str | None = None) -> "Target":
        model = record._meta.model
        if label is None and model._meta.label_lower not in PERSONAL_MODELS:
            label = str(record)
        return cls.from_model(model, record.pk, label or "")

    @classmethod
    def from_model(cls, model: type[models.Model], pk: Any, label: str) -> "Target":
        """A record named by its model and id; a customer's records are labelled by their id
        alone, so that the log keeps no personal data of a contact who is later erased."""
        opts = model._meta
        if opts.label_lower in PERSONAL_MODELS:
            label = f"{str(opts.verbose_name).capitalize()} #{pk}"
        return cls(opts.label_lower, "" if pk is None else str(pk), label[:LABEL_LENGTH])


# Records whose str() holds a customer's personal data (a name, an address, a file's or a mail's
# name): labelled "<Model> #<id>" instead.
PERSONAL_MODELS = frozenset(
    {
        "conversations.contact",
        "conversations.contactidentity",
        "conversations.conversation",
        "conversations.attachment",
        "conversations.messageemail",
    }
)


def user_label(user: AbstractBaseUser) -> str:
    """How the log names a person: their desk name with their username, as they were then."""
    username = user.get_username()
    profile = getattr(user, "agent_profile", None)
    shown = profile.display_name if profile is not None else user.get_full_name()
    label = f"{shown} ({username})" if shown and shown != username else username
    return label[:LABEL_LENGTH]
