"""A mail storm from one sender, and a loop of auto-replies, through the real receiving path and
a real SMTP server: every mail is stored, the conversation reopens and draws answers only within
the sender's limit, agents are told once, and a loop between an answering bot and a customer's
vacation program stops, at once when the vacation program marks its mails, at the limit when it
does not."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from channels_in.email.receiving import mail_receive
from channels_in.models import MailSenderWindow
from channels_in.tasks import forget_quiet_mail_senders
from conversations import registry, services
from conversations.models import Conversation, Message
from conversations.tasks import deliver_message
from tests.channels.test_email_channel import agent, customer_mail, email_inbox, smtp_server  # noqa: F401

pytestmark = pytest.mark.django_db

Status = Conversation.Status
LIMIT = 20


@pytest.fixture(autouse=True)
def limit(settings):
    settings.PARLEY_EMAIL_SENDER_LIMIT = LIMIT
    settings.PARLEY_EMAIL_SENDER_WINDOW_SECONDS = 600


def storm_notes(conversation_id: int) -> list[str]:
    return list(
        Message.objects.filter(
            conversation_id=conversation_id, is_private=True, body__contains="mails in 10 minutes"
        ).values_list("body", flat=True)
    )


def test_a_storm_of_100_mails_is_all_stored_and_reopens_only_within_the_limit(email_inbox, agent):  # noqa: F811
    first = mail_receive(inbox=email_inbox, raw=customer_mail("Mail 0")).message
    services.conversation_resolve(conversation=first.conversation, actor=agent)
    for number in range(1, LIMIT):  # within the limit: the first reopens it, as any mail would
        mail_receive(inbox=email_inbox, raw=customer_mail(f"Mail {number}"))
    assert Conversation.objects.get(pk=first.conversation_id).status == Status.OPEN
    services.conversation_resolve(conversation=first.conversation, actor=agent)

    outcomes = [mail_receive(inbox=email_inbox, raw=customer_mail(f"Mail {n}")) for n in range(LIMIT, 100)]

    assert all(outcome.message.conversation_id == first.conversation_id for outcome in outcomes)
    bodies = Message.objects.filter(conversation_id=first.conversation_id, sender_kind="contact").order_by(
        "seq"
    )
    assert list(bodies.values_list("body", flat=True)) == [f"Mail {n}" for n in range(100)]  # every one
    conversation = Conversation.objects.get(pk=first.conversation_id)
    assert conversation.status == Status.RESOLVED and conversation.waiting_since is None  # nobody woken
    [note] = storm_notes(first.conversation_id)  # one line, not 80
    assert note.startswith(f"jane@example.net sent more than {LIMIT} mails in 10 minutes.")
    held = outcomes[-1].message
    assert held.email.subject == "Where is my order?"  # kept with what it carries, like any mail


def test_the_next_window_lets_the_sender_through_again(email_inbox, agent):  # noqa: F811
    for number in range(LIMIT + 5):
        message = mail_receive(inbox=email_inbox, raw=customer_mail(f"Mail {number}")).message
    services.conversation_resolve(conversation=message.conversation, actor=agent)

    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        later = mail_receive(inbox=email_inbox, raw=customer_mail("A real question, later")).message

    assert later.conversation_id == message.conversation_id
    assert Conversation.objects.get(pk=later.conversation_id).status == Status.OPEN


def test_a_storm_of_auto_replies_becomes_a_limited_number_of_lines(email_inbox, agent):  # noqa: F811
    first = mail_receive(inbox=email_inbox, raw=customer_mail()).message
    reply = services.message_post_reply(conversation=first.conversation, agent=agent, body="Ships today.")
    deliver_message(reply.pk)
    reply.refresh_from_db()

    for _ in range(100):
        outcome = mail_receive(
            inbox=email_inbox,
            raw=customer_mail(
                "I am out of the office.",
                In_Reply_To=reply.provider_message_id,
                Auto_Submitted="auto-replied",
            ),
        )
        assert outcome.message is None

    lines = Message.objects.filter(
        conversation_id=first.conversation_id, body__contains="answered automatically"
    )
    assert lines.count() == LIMIT - 1  # the customer's own first mail counted too
    assert len(storm_notes(first.conversation_id)) == 1


@pytest.fixture
def eager_bot(monkeypatch):
    """An answer bot that takes every conversation and answers every message: the worst a bot
    can do. Plugged into the core's registry as the answer bot app is; the turns it is given are
    collected and taken by the test, as the worker's task would take them."""
    turns: list[int] = []
    monkeypatch.setattr(registry, "_answer_bot_takes", lambda inbox_id: True)
    monkeypatch.setattr(registry, "_answer_bot_turn", turns.append)
    return turns


@pytest.mark.parametrize(("marked", "rounds"), [(True, 1), (False, LIMIT)])
def test_a_loop_of_auto_replies_stops(
    email_inbox,  # noqa: F811
    smtp_server,  # noqa: F811
    eager_bot,
    django_capture_on_commit_callbacks,
    marked,
    rounds,
):
    with django_capture_on_commit_callbacks(execute=True):
        first = mail_receive(inbox=email_inbox, raw=customer_mail("Where is my order?")).message
    taken = 0
    while eager_bot and taken < 100:
        answer = services.message_post_bot(conversation_id=eager_bot.pop(0), body="Track it on our site.")
        deliver_message(answer.pk)
        taken += 1
        sent = smtp_server.received[-1].mail
        assert sent["Auto-Submitted"] == "auto-replied"  # ours says it is automatic...
        vacation = {"Auto_Submitted": "auto-replied"} if marked else {}  # ...theirs may not
        with django_capture_on_commit_callbacks(execute=True):
            mail_receive(
                inbox=email_inbox,
                raw=customer_mail(
                    "I am away until Monday.",
                    Subject=f"Re: {sent['Subject']}",
                    In_Reply_To=sent["Message-ID"],
                    **vacation,
                ),
            )

    assert taken == rounds and len(smtp_server.received) == rounds  # it stopped
    customer_mails = Message.objects.filter(conversation_id=first.conversation_id, sender_kind="contact")
    assert customer_mails.count() == (1 if marked else rounds + 1)  # every mail a person could read
    if not marked:
        assert len(storm_notes(first.conversation_id)) == 1


def test_the_counts_of_senders_gone_quiet_are_forgotten_and_a_storm_under_way_is_kept(email_inbox):  # noqa: F811
    """One row per address that ever wrote: without forgetting, a table as long as the customer list."""
    mail_receive(inbox=email_inbox, raw=customer_mail("Long ago"))
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        mail_receive(inbox=email_inbox, raw=customer_mail("Now", From="Robot <robot@example.com>"))

        assert forget_quiet_mail_senders() == 1  # its window is over: its count says nothing now

        assert list(MailSenderWindow.objects.values_list("address", "mails")) == [("robot@example.com", 1)]
