"""The desk's list, page after page, is exactly the agent's conversations in the chosen order:
every row once, none from an inbox the agent does not work, ties broken by id. Sorted by
activity the page's ids come from a merge of each inbox's and status's newest
(agents.selectors.list_page); these tests hold it to the plain ordering of the same rows."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agents import selectors
from agents.models import AgentProfile
from agents.selectors import ListFilters, Sort, View
from conversations.models import Conversation
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory
from tests.factories.conversations import ConversationFactory, InboxFactory

pytestmark = pytest.mark.django_db

Status = Conversation.Status


@pytest.fixture
def desk(agent, inbox):
    """`agent` works `inbox` (busy) and a quiet one; a third, the busiest, is someone else's.
    Activity comes in runs of three with the same time, so ids break ties."""
    quiet, others = InboxFactory(name="Quiet"), InboxFactory(name="Others")
    InboxMembershipFactory(inbox=quiet, agent=agent)
    colleague = AgentProfileFactory(display_name="Bo").user
    rng, now = random.Random(7), timezone.now()
    places = [inbox] * 4 + [quiet] + [others] * 6
    for n in range(160):
        status = rng.choice(Status.values)
        ConversationFactory(
            inbox=rng.choice(places),
            status=status,
            snoozed_until=now + timedelta(hours=1) if status == Status.SNOOZED else None,
            assignee=rng.choice([agent, colleague, None]),
            priority=rng.choice([0, 0, 1, 3]),
            last_activity_at=now - timedelta(minutes=n // 3),
            waiting_since=now - timedelta(minutes=n // 2) if n % 2 else None,
            sla_due_at=now + timedelta(minutes=n % 40 - 10) if n % 3 else None,
        )
    return agent


def walk(agent, filters: ListFilters) -> list[int]:
    """Every page of the list, each after the last row of the one before."""
    seen, cursor = [], None
    while True:
        page = list(selectors.list_page(agent, filters, after=cursor)[: selectors.LIST_PAGE_SIZE + 1])
        seen += [row.pk for row in page[: selectors.LIST_PAGE_SIZE]]
        if len(page) <= selectors.LIST_PAGE_SIZE:
            return seen
        cursor = page[selectors.LIST_PAGE_SIZE - 1]


def newest_first(agent, filters: ListFilters) -> list[int]:
    """The same list worked out in Python from every row."""
    works = set(selectors.desk_inboxes(agent).values_list("pk", flat=True))
    rows = [
        c
        for c in Conversation.objects.all()
        if c.inbox_id in works
        and (filters.status == "all" or c.status == filters.status)
        and (filters.view != View.MINE or c.assignee_id == agent.pk)
        and (filters.view != View.UNASSIGNED or c.assignee_id is None)
        and (filters.inbox_id is None or c.inbox_id == filters.inbox_id)
    ]
    return [c.pk for c in sorted(rows, key=lambda c: (c.last_activity_at, c.pk), reverse=True)]


@pytest.mark.parametrize("view", View.CHOICES)
@pytest.mark.parametrize("status", ["all", Status.OPEN, Status.RESOLVED])
def test_newest_first_pages_hold_every_row_once_in_order(desk, view, status):
    filters = ListFilters(view=view, status=status, sort=Sort.ACTIVITY)
    expected = newest_first(desk, filters)
    assert len(expected) > 0
    assert walk(desk, filters) == expected


def test_newest_first_of_one_inbox_and_for_a_supervisor_who_works_every_inbox(desk, inbox):
    one_inbox = ListFilters(view=View.ALL, status="all", inbox_id=inbox.pk)
    assert walk(desk, one_inbox) == newest_first(desk, one_inbox)
    supervisor = AgentProfileFactory(display_name="Sue", role=AgentProfile.Role.SUPERVISOR).user
    every_row = ListFilters(view=View.ALL, status="all")
    assert walk(supervisor, every_row) == newest_first(supervisor, every_row)
    assert len(walk(supervisor, every_row)) == Conversation.objects.count()


@pytest.mark.parametrize("sort", [Sort.WAITING, Sort.PRIORITY])
def test_the_other_sorts_page_through_the_same_rows_as_their_plain_order(desk, sort):
    filters = ListFilters(view=View.ALL, status="all", sort=sort)
    plain = selectors.desk_conversations(desk, filters).values_list("pk", flat=True)
    assert walk(desk, filters) == list(plain)


def test_an_agent_of_no_inbox_has_an_empty_list(db):
    loner = AgentProfileFactory(display_name="Lou").user
    ConversationFactory()
    assert walk(loner, ListFilters(view=View.ALL, status="all")) == []


def test_every_sort_costs_the_same_queries(desk):  # each sort has rows in `desk`
    def queries(sort: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            list(selectors.list_page(desk, ListFilters(view=View.ALL, sort=sort), after=None)[:51])
        return len(captured)

    assert len({queries(sort) for sort in Sort.CHOICES}) == 1
