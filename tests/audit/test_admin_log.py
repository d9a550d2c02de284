"""The log in the admin: read only, searchable, filtered, the same few queries however long the
page, and exported exactly as filtered (the export itself is recorded)."""

import csv
import io
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse

from audit.actors import Actor, Target
from audit.models import Action, AuditEntry
from audit.services import record
from tests.factories.agents import AgentProfileFactory

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:audit_auditentry_changelist")
EXPORT_URL = reverse("admin:audit_auditentry_export")


def write_entries(count: int, name: str = "Ana") -> list[AuditEntry]:
    user = AgentProfileFactory(display_name=name).user
    first = 1000 * user.pk
    return [
        record(
            actor=Actor.agent(user),
            action=Action.CONVERSATION_ASSIGNED if number % 2 else Action.CONVERSATION_MERGED,
            target=Target(
                "conversations.conversation", str(first + number), f"Conversation #{first + number}"
            ),
            details={"inbox_id": 1},
        )
        for number in range(count)
    ]


def listed(response) -> list[AuditEntry]:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


@pytest.mark.parametrize("rows", [3, 12])
def test_the_list_costs_the_same_queries_for_3_rows_as_for_12(admin_client, django_assert_num_queries, rows):
    write_entries(rows)

    # session, user, count, page: the filters are choices and dates, no query of their own
    with django_assert_num_queries(4):
        page = listed(admin_client.get(LIST_URL))

    assert len(page) >= rows


def test_search_finds_by_actor_action_and_target(admin_client):
    anas = write_entries(2, "Ana")
    bos = write_entries(2, "Bo")

    by_actor = listed(admin_client.get(LIST_URL, {"q": "Bo"}))
    by_action = listed(
        admin_client.get(LIST_URL, {"q": "conversation.assigned", "actor_kind__exact": "agent"})
    )
    by_target = listed(admin_client.get(LIST_URL, {"q": bos[0].target_id}))

    assert set(by_actor) == set(bos)
    assert set(by_action) == {anas[1], bos[1]}
    assert by_target == [bos[0]]


def test_nobody_adds_changes_or_deletes_an_entry_in_the_admin(admin_client):
    [entry] = write_entries(1)

    page = admin_client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # a view, not a form
    assert admin_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    assert admin_client.post(reverse("admin:audit_auditentry_delete", args=[entry.pk])).status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_json_lines_export_holds_the_filtered_entries_and_is_itself_recorded(admin_client, admin_user):
    entries = write_entries(5)
    assigned = [entry for entry in entries if entry.action == Action.CONVERSATION_ASSIGNED]

    response = admin_client.get(EXPORT_URL, {"format": "jsonl", "action__exact": "conversation.assigned"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/jsonl")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    assert [line["id"] for line in lines] == [entry.pk for entry in reversed(assigned)]  # newest first
    assert lines[0]["actor_label"] == assigned[-1].actor_label and lines[0]["details"] == {"inbox_id": 1}
    exported = AuditEntry.objects.get(action=Action.AUDIT_EXPORTED)
    assert exported.actor_id == str(admin_user.pk)
    assert exported.details == {
        "format": "jsonl",
        "filters": "action__exact=conversation.assigned",
        "count": 2,
    }


def test_the_csv_export_follows_the_search_and_defuses_formulas(admin_client):
    user = AgentProfileFactory(display_name="=HYPERLINK()").user
    record(actor=Actor.agent(user), action=Action.CONVERSATION_MERGED)
    write_entries(2, "Bo")

    response = admin_client.get(EXPORT_URL, {"format": "csv", "q": "HYPERLINK"})

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["actor_label"] for row in rows] == [f"'=HYPERLINK() ({user.username})"]
    assert rows[0]["action"] == "conversation.merged"


def test_the_list_page_links_its_exports_with_its_own_filters(admin_client):
    write_entries(1)
    page = admin_client.get(LIST_URL, {"action__exact": "conversation.merged"}).content.decode()
    assert f"{EXPORT_URL}?format=csv&amp;action__exact=conversation.merged" in page


def test_an_unknown_export_format_is_refused(admin_client):
    assert admin_client.get(EXPORT_URL, {"format": "xlsx"}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_under_asgi_the_export_streams_batch_after_batch_without_losing_entries_of_one_instant(
    admin_user, clock, monkeypatch
):
    """Entries of one instant (the clock stands still) across batches of two: the keyset carries on
    by id, and the body is sent from the event loop as Daphne does."""
    monkeypatch.setattr("audit.export.BATCH", 2)
    entries = write_entries(5)

    async def export() -> tuple[str, list[str]]:
        client = AsyncClient()
        await client.aforce_login(admin_user)
        response = await client.get(EXPORT_URL, {"format": "jsonl", "q": "Ana"})
        return response["Content-Type"], [piece.decode() async for piece in response.streaming_content]

    content_type, pieces = async_to_sync(export)()

    assert content_type.startswith("application/jsonl")
    assert len(pieces) == 3  # 2 + 2 + 1
    lines = [json.loads(line) for line in "".join(pieces).splitlines()]
    assert [line["id"] for line in lines] == sorted((entry.pk for entry in entries), reverse=True)
