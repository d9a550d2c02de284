"""Every list endpoint costs the same number of queries for one row as for many: no query per row.

The numbers are pinned: 1 for the token (it brings the user and their profile), then what the
list needs. A serializer field that walks a relation per row fails the many-rows case; a new
join or prefetch changes both and asks for a look.
"""

from collections.abc import Callable

import pytest
from django.core.files.base import ContentFile

from conversations import services
from conversations.models import Attachment
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import (
    ContactFactory,
    ContactIdentityFactory,
    ConversationFactory,
    InboxFactory,
    LabelFactory,
)

ROWS = [1, 5]  # 5: merge suggestions stop there


def _contacts(rows: int, *, inbox, conversation, agent) -> str:
    for _ in range(rows):
        ConversationFactory(inbox=inbox, contact=ContactFactory())
    return "/api/v1/contacts"


def _conversations(rows: int, *, inbox, conversation, agent) -> str:
    colleague = AgentProfileFactory().user
    for n in range(rows):
        row = ConversationFactory(inbox=inbox, assignee=agent if n % 2 else colleague)
        row.labels.add(LabelFactory(name=f"label-{n}"), LabelFactory(name="shared"))
        services.message_receive(inbox=inbox, contact=row.contact, conversation_id=row.pk, body="Hi")
    return "/api/v1/conversations"


def _messages(rows: int, *, inbox, conversation, agent) -> str:
    for n in range(rows):
        services.message_receive(
            inbox=inbox, contact=conversation.contact, conversation_id=conversation.pk, body="Q"
        )
        reply = services.message_post_reply(
            conversation=conversation, agent=agent, body="A", is_private=n % 2 == 0
        )
        Attachment.objects.create(
            message=reply,
            file=ContentFile(b"%PDF-1.4", name="a.pdf"),
            file_name="a.pdf",
            mime_type="application/pdf",
        )
    return f"/api/v1/conversations/{conversation.pk}/messages"


def _labels(rows: int, *, inbox, conversation, agent) -> str:
    for n in range(rows):
        LabelFactory(name=f"label-{n}")
    return "/api/v1/labels"


def _inboxes(rows: int, *, inbox, conversation, agent) -> str:
    for _ in range(rows):
        InboxMembershipFactory(inbox=InboxFactory(), agent=agent)
    return "/api/v1/inboxes"


def _identities(rows: int, *, inbox, conversation, agent) -> str:
    for _ in range(rows):
        other = InboxFactory()
        InboxMembershipFactory(inbox=other, agent=agent)
        ContactIdentityFactory(contact=conversation.contact, inbox=other)
    return f"/api/v1/contacts/{conversation.contact_id}/identities"


def _merge_suggestions(rows: int, *, inbox, conversation, agent) -> str:
    for _ in range(rows):
        ConversationFactory(inbox=inbox, contact=ContactFactory(email=conversation.contact.email))
    return f"/api/v1/contacts/{conversation.contact_id}/merge-suggestions"


LISTS: dict[str, tuple[Callable[..., str], int]] = {
    # token, count, page
    "contacts": (_contacts, 3),
    # token, page (the desk's row subqueries are inside it), labels
    "conversations": (_conversations, 3),
    # token, conversation, page, attachments
    "messages": (_messages, 4),
    # token, count, page
    "labels": (_labels, 3),
    "inboxes": (_inboxes, 3),
    # token, contact, identities with their inboxes
    "identities": (_identities, 3),
    # token, contact, the core's suggestions, those the agent may see
    "merge-suggestions": (_merge_suggestions, 4),
}


@pytest.mark.parametrize("rows", ROWS)
@pytest.mark.parametrize("name", LISTS)
def test_list_query_count_does_not_grow_with_rows(
    api, agent, inbox, conversation, django_assert_num_queries, settings, tmp_path, name, rows
):
    settings.MEDIA_ROOT = tmp_path
    build, pinned = LISTS[name]
    url = build(rows, inbox=inbox, conversation=conversation, agent=agent)

    with django_assert_num_queries(pinned):
        response = api.get(url)

    assert response.status_code == 200
    body = response.json()
    listed = body if isinstance(body, list) else body["results"]
    assert len(listed) >= rows
