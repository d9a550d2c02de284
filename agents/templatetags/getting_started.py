"""The admin home's "getting started" checklist: create an inbox, give it an agent, connect it
and see a customer's first message. Shown until all three are done (templates/admin/index.html)."""

from dataclasses import dataclass

from django import template
from django.urls import reverse

from agents.models import InboxMembership
from conversations.models import Inbox, Message

register = template.Library()


@dataclass(frozen=True)
class Step:
    done: bool
    title: str
    how: str
    url: str


@register.inclusion_tag("admin/_getting_started.html")
def getting_started() -> dict:
    first_inbox = Inbox.objects.order_by("pk").first()
    steps = [
        Step(
            first_inbox is not None,
            "Create an inbox",
            "One per channel: a web widget, an SMS number, a WhatsApp number, a mailbox…",
            reverse("admin:conversations_inbox_add"),
        ),
        Step(
            InboxMembership.objects.exists(),
            "Give it an agent",
            "Add a user with an agent profile, then make them a member of the inbox (on its page).",
            reverse("admin:auth_user_add"),
        ),
        Step(
            Message.objects.filter(sender_kind=Message.SenderKind.CONTACT).exists(),
            "Connect it and get a first message",
            "The inbox's page says what to paste where (under Connect); write to it as a customer.",
            reverse("admin:conversations_inbox_change", args=[first_inbox.pk])
            if first_inbox
            else reverse("admin:conversations_inbox_add"),
        ),
    ]
    return {"steps": steps if not all(step.done for step in steps) else []}
