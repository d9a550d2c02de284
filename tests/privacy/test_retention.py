"""Retention (privacy.retention): an inbox's resolved conversations past its policy's days are
anonymised or deleted in bounded, set-based batches that skip what a message holds, with their
files gone from storage; younger, open and other inboxes' conversations stay as they were."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from conversations import services
from conversations.models import Attachment, Contact, ContactIdentity, Conversation, Message
from privacy.models import AnonymisedConversation, RetentionPolicy
from privacy.retention import (
    RETENTION_PAUSE_SECONDS,
    RETENTION_REST_FACTOR,
    conversations_retain_batch,
    retention_rest,
)
from privacy.tasks import retain_inbox_conversations, sweep_retention
from reports.models import Fact
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, UserFactory
from tests.factories.conversations import ContactFactory, ContactIdentityFactory, InboxFactory
from tests.privacy.test_erase import media_files, report_totals

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "QX-RETAIN-4471"


def resolved_conversation(inbox, *, days_ago: int, file: bool = False, contact=None) -> Conversation:
    """A conversation through the real services (the customer's message, maybe with a file, an
    agent's reply, a resolve), then moved `days_ago` into the past."""
    contact = contact or ContactFactory(name="Ottilie Retainer", email="ottilie@retention.example")
    ContactIdentityFactory(contact=contact, inbox=inbox, source_id=f"visitor-{contact.pk}-{inbox.pk}")
    attachments = (
        [
            services.AttachmentInput(
                mime_type="text/plain", file_name="ottilie-scan.txt", content=SECRET.encode()
            )
        ]
        if file
        else []
    )
    message = services.message_receive(
        inbox=inbox, contact=contact, body=f"My code is {SECRET}", attachments=attachments
    )
    conversation = message.conversation
    agent = AgentProfileFactory().user
    InboxMembershipFactory(inbox=inbox, agent=agent)
    services.message_post_reply(conversation=conversation, agent=agent, body=f"Thanks, {SECRET} noted")
    services.conversation_resolve(conversation=conversation, actor=agent)
    then = timezone.now() - timedelta(days=days_ago)
    Conversation.objects.filter(pk=conversation.pk).update(resolved_at=then, last_activity_at=then)
    return Conversation.objects.get(pk=conversation.pk)


def texts(conversation: Conversation) -> list[str]:
    return list(Message.objects.filter(conversation=conversation).values_list("body", flat=True))


@pytest.fixture
def inbox():
    return InboxFactory(name="Website")


def test_anonymise_empties_old_resolved_conversations_and_their_files_and_leaves_the_rest(inbox, media_root):
    RetentionPolicy.objects.create(inbox=inbox, days=30, mode=RetentionPolicy.Mode.ANONYMISE)
    old = resolved_conversation(inbox, days_ago=40, file=True)
    young = resolved_conversation(inbox, days_ago=10, file=True)
    other_inbox = resolved_conversation(InboxFactory(name="SMS"), days_ago=40, file=True)
    still_open = services.message_receive(
        inbox=inbox, contact=ContactFactory(), body=f"open {SECRET}"
    ).conversation
    Conversation.objects.filter(pk=still_open.pk).update(last_activity_at=timezone.now() - timedelta(days=40))
    messages_before = Message.objects.filter(conversation=old).count()
    assert sum(SECRET.encode() in content for content in media_files(media_root).values()) == 3

    batch = conversations_retain_batch(policy=RetentionPolicy.objects.get(inbox=inbox))

    assert (batch.conversations, batch.messages, batch.cursor) == (1, messages_before, None)
    assert set(texts(old)) == {""}  # the rows stay, so the reports keep counting them
    assert not Attachment.objects.filter(message__conversation=old).exists()
    assert AnonymisedConversation.objects.get().conversation_id == old.pk
    old_contact = Contact.objects.get(pk=old.contact_id)
    assert (old_contact.name, old_contact.email) == ("", "")
    assert not ContactIdentity.objects.filter(contact=old_contact).exists()
    for untouched in (young, other_inbox, still_open):
        assert any(SECRET in text for text in texts(untouched))
    assert Contact.objects.get(pk=young.contact_id).name == "Ottilie Retainer"
    files = media_files(media_root)
    assert sum(SECRET.encode() in content for content in files.values()) == 2
    assert not any(path.startswith(f"attachments/{old.pk}/") for path in files)
    # A second run finds nothing left to do: the anonymised conversation is not taken again.
    assert conversations_retain_batch(policy=RetentionPolicy.objects.get(inbox=inbox)).conversations == 0


def test_delete_removes_old_resolved_conversations_with_their_messages_and_files(inbox, media_root):
    RetentionPolicy.objects.create(inbox=inbox, days=30, mode=RetentionPolicy.Mode.DELETE)
    old = resolved_conversation(inbox, days_ago=40, file=True)
    young = resolved_conversation(inbox, days_ago=10)
    facts_before = Fact.objects.count()

    batch = conversations_retain_batch(policy=RetentionPolicy.objects.get(inbox=inbox))

    assert batch.conversations == 1 and batch.messages >= 2
    assert not Conversation.objects.filter(pk=old.pk).exists()
    assert not Message.objects.filter(conversation_id=old.pk).exists()
    assert not any(SECRET.encode() in content for content in media_files(media_root).values())
    assert Contact.objects.get(pk=old.contact_id).name == ""  # the row stays, blanked
    assert any(SECRET in text for text in texts(young))
    assert Fact.objects.count() == facts_before  # the fact log holds no foreign keys: it stays


def test_report_totals_are_the_same_after_anonymising(inbox, media_root):
    RetentionPolicy.objects.create(inbox=inbox, days=30, mode=RetentionPolicy.Mode.ANONYMISE)
    for _ in range(2):
        resolved_conversation(inbox, days_ago=40)
    totals_before = report_totals()
    assert totals_before, "no report figures for the period: the comparison would prove nothing"

    assert conversations_retain_batch(policy=RetentionPolicy.objects.get(inbox=inbox)).conversations == 2

    assert report_totals() == totals_before


def test_a_contact_with_a_conversation_still_kept_elsewhere_keeps_their_name(inbox, media_root):
    RetentionPolicy.objects.create(inbox=inbox, days=30, mode=RetentionPolicy.Mode.ANONYMISE)
    contact = ContactFactory(name="Ottilie Retainer")
    resolved_conversation(inbox, days_ago=40, contact=contact)
    resolved_conversation(InboxFactory(name="SMS"), days_ago=40, contact=contact)  # no policy there

    assert conversations_retain_batch(policy=RetentionPolicy.objects.get(inbox=inbox)).conversations == 1

    assert Contact.objects.get(pk=contact.pk).name == "Ottilie Retainer"


def test_a_conversation_a_message_holds_is_skipped_not_waited_on_and_taken_by_the_next_run(inbox, media_root):
    RetentionPolicy.objects.create(inbox=inbox, days=30, mode=RetentionPolicy.Mode.ANONYMISE)
    busy, *others = [resolved_conversation(inbox, days_ago=40) for _ in range(3)]
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with transaction.atomic():
            Conversation.objects.select_for_update().get(pk=busy.pk)
            locked.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        started = timezone.now()
        batch = conversations_retain_batch(policy=RetentionPolicy.objects.get(inbox=inbox))
        assert timezone.now() - started < timedelta(seconds=5)  # it did not wait for the holder
    finally:
        release.set()
        holder.join()
    assert batch.conversations == 2
    assert any(SECRET in text for text in texts(busy))
    assert all(set(texts(other)) == {""} for other in others)

    assert retain_inbox_conversations(RetentionPolicy.objects.get(inbox=inbox).pk) == 1  # the next run

    assert set(texts(busy)) == {""}


def test_a_full_batch_hands_the_drain_a_cursor_and_the_next_batch_goes_on_from_it(inbox, media_root):
    RetentionPolicy.objects.create(inbox=inbox, days=30, mode=RetentionPolicy.Mode.DELETE)
    for days_ago in (50, 45, 40):
        resolved_conversation(inbox, days_ago=days_ago)
    policy = RetentionPolicy.objects.get(inbox=inbox)

    first = conversations_retain_batch(policy=policy, batch_size=2)
    second = conversations_retain_batch(policy=policy, batch_size=2, after=first.cursor)

    assert (first.conversations, first.cursor is not None) == (2, True)
    assert (second.conversations, second.cursor) == (1, None)
    assert not Conversation.objects.filter(inbox=inbox).exists()


def test_a_conversation_the_customer_wrote_to_again_is_anonymised_again_once_resolved_and_quiet(
    inbox, media_root
):
    RetentionPolicy.objects.create(inbox=inbox, days=30, mode=RetentionPolicy.Mode.ANONYMISE)
    contact = ContactFactory()
    conversation = resolved_conversation(inbox, days_ago=40, contact=contact)
    policy = RetentionPolicy.objects.get(inbox=inbox)
    assert conversations_retain_batch(policy=policy).conversations == 1
    services.message_receive(
        inbox=inbox, contact=contact, conversation_id=conversation.pk, body=f"back {SECRET}"
    )
    services.conversation_resolve(conversation=Conversation.objects.get(pk=conversation.pk), actor=None)
    assert conversations_retain_batch(policy=policy).conversations == 0  # resolved just now: kept

    later = timezone.now() + timedelta(days=31)
    assert conversations_retain_batch(policy=policy, now=later).conversations == 1

    assert set(texts(conversation)) == {""}


def test_the_admin_refuses_a_policy_of_fewer_than_one_day(client, inbox):
    client.force_login(UserFactory(username="retention-admin", is_superuser=True, is_staff=True))

    refused = client.post(
        "/admin/privacy/retentionpolicy/add/", {"inbox": inbox.pk, "days": 0, "mode": "anonymise"}
    )
    accepted = client.post(
        "/admin/privacy/retentionpolicy/add/", {"inbox": inbox.pk, "days": 1, "mode": "anonymise"}
    )

    assert refused.status_code == 200 and "greater than or equal to 1" in refused.content.decode()
    assert accepted.status_code == 302
    assert RetentionPolicy.objects.get().days == 1


def test_beat_runs_the_retention_sweep_hourly():
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-retention"]

    assert entry["task"] == sweep_retention.name  # the name beat sends is the task's
    assert entry["schedule"] == timedelta(hours=1)


def test_a_drain_rests_longer_after_a_slower_batch_and_always_a_little():
    assert retention_rest(0.0) == RETENTION_PAUSE_SECONDS  # the real-time servers always get a turn
    assert retention_rest(0.2) == pytest.approx(0.2 * RETENTION_REST_FACTOR)  # a busy machine: back off
    assert retention_rest(0.4) > retention_rest(0.2)
