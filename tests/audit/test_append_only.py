"""Nobody changes or deletes an entry: not the model, not a queryset, not raw SQL on Postgres."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.actors import Actor, Target
from audit.models import Action, AppendOnly, AuditEntry
from audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(agent, conversation) -> AuditEntry:
    return record(
        actor=Actor.agent(agent), action=Action.CONVERSATION_ASSIGNED, target=Target.of(conversation)
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditentry SET actor_label = 'someone else' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ],
)
def test_the_database_refuses_to_change_or_delete_an_entry(entry, statement):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is Postgres's; the embedded SQLite relies on the model")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])

    assert AuditEntry.objects.get(pk=entry.pk).actor_label == entry.actor_label


def test_the_model_and_its_querysets_refuse_too(entry):
    entry.actor_label = "someone else"
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(actor_label="someone else")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).delete()

    assert AuditEntry.objects.get(pk=entry.pk).actor_label.startswith("Ana (")


def test_a_contact_target_keeps_no_personal_data(contact):
    contact.name, contact.email = "Kim Doe", "kim@example.com"
    target = Target.of(contact)
    assert (target.type, target.id, target.label) == (
        "conversations.contact",
        str(contact.pk),
        f"Contact #{contact.pk}",
    )


def test_an_action_outside_the_catalogue_is_refused(agent):
    with pytest.raises(ValueError, match="not an audited action"):
        record(actor=Actor.agent(agent), action="conversation.teleported")
