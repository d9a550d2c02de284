"""Erasing a person (privacy.services.erase_contact): the acceptance test searches a dump of the
whole database, the media folder and the Redis database for every value that identified them;
report totals for the period stay the same."""

import os
import subprocess
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.utils import timezone

from audit.actors import Actor
from audit.models import Action, AuditEntry
from conversations.models import Contact, Conversation, Message
from conversations.refusals import Refused
from privacy.models import ContactErasure
from privacy.services import erase_contact
from reports import rollups, selectors
from reports.models import CsatSurvey, DailyFigure, Fact

pytestmark = pytest.mark.django_db(transaction=True)


def database_dump() -> str:
    """Every row of the test database, as pg_dump writes it (data only: the schema names no one)."""
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = ["pg_dump", "--data-only", "--no-owner", "-h", db["HOST"] or "127.0.0.1"]
    command += ["-p", str(db["PORT"] or 5432), "-U", db["USER"], db["NAME"]]
    return subprocess.run(command, env=env, capture_output=True, check=True, text=True).stdout


def media_files(root) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}


def redis_contents() -> bytes:
    """Every key and value of the tests' Redis database (cache, broker), serialised."""
    client = redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None
    if client is None:
        return b""
    return b"\n".join(key + b"=" + (client.dump(key) or b"") for key in client.scan_iter())


def report_totals() -> dict:
    today = timezone.localdate()
    period = selectors.Period(today - timedelta(days=1), today + timedelta(days=1))
    rollups.rebuild(period.first, period.last)
    account = selectors.totals(period, DailyFigure.Dimension.ACCOUNT)
    return {key: dict(figures) for key, figures in account.items()}


def test_an_erased_contact_leaves_no_trace_in_the_database_files_or_caches(person, media_root):
    dump = database_dump()
    for what, value in person.secrets.items():  # the search finds them before: it is a real search
        if what != "file content":
            assert value in dump, f"the seeded {what} is not in the dump: the test would prove nothing"
    assert any(person.file_content == content for content in media_files(media_root).values())
    totals_before = report_totals()
    assert totals_before, "no report figures for the period: the comparison would prove nothing"
    facts_before = Fact.objects.count()

    erase_contact(contact=person.contact, actor=Actor.administrator(person.agent))

    dump = database_dump()
    files = media_files(media_root)
    cached = redis_contents()
    for what, value in person.secrets.items():
        assert value not in dump, f"the erased contact's {what} is still in the database"
        assert value.encode() not in cached, f"the erased contact's {what} is still in Redis"
        for path, content in files.items():
            assert value not in path and value.encode() not in content, f"their {what} is in {path}"
    assert report_totals() == totals_before
    assert Fact.objects.count() == facts_before


def test_erasing_keeps_the_rows_the_reports_count(person):
    messages_before = Message.objects.count()

    erasure = erase_contact(contact=person.contact, actor=Actor.administrator(person.agent))

    assert Message.objects.count() == messages_before
    assert Conversation.objects.filter(contact=person.contact).count() == 2
    assert CsatSurvey.objects.get().rating == 2
    assert (erasure.conversations, erasure.files) == (2, 1)
    contact = Contact.objects.get(pk=person.contact.pk)
    assert (contact.name, contact.email, contact.phone, contact.identities.count()) == ("", "", "", 0)
    history = LogEntry.objects.get()  # the admin's history stays, naming them by id
    assert (history.object_id, history.object_repr) == (str(contact.pk), f"Contact #{contact.pk}")


def test_erasing_twice_changes_nothing_and_records_once(person):
    first = erase_contact(contact=person.contact, actor=Actor.administrator(person.agent))
    second = erase_contact(contact=person.contact, actor=Actor.administrator(person.agent))

    assert second.pk == first.pk
    entries = AuditEntry.objects.filter(action=Action.CONTACT_ERASED)
    assert entries.count() == 1
    entry = entries.get()
    assert (entry.target_id, entry.target_label) == (str(person.contact.pk), f"Contact #{person.contact.pk}")
    assert entry.details == {"conversations": 2, "messages": first.messages, "files": 1}


def test_a_contact_with_a_conversation_in_progress_is_refused_and_keeps_everything(person):
    Conversation.objects.filter(pk=person.conversations[0].pk).update(status=Conversation.Status.OPEN)

    with pytest.raises(Refused) as refused:
        erase_contact(contact=person.contact, actor=Actor.administrator(person.agent))

    assert refused.value.code == "conversation_not_resolved"
    assert Contact.objects.get(pk=person.contact.pk).name == "Zebulon Quixwright"
    assert not ContactErasure.objects.exists()
    assert not AuditEntry.objects.filter(action=Action.CONTACT_ERASED).exists()
