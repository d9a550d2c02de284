"""What the agent desk reads: the conversation list with its filters, one conversation, and an
agent's load (the one definition routing also uses).

Every read here costs a fixed number of queries whatever the number of rows: the list's last
message and unread count are correlated subqueries of the one list query (each an index range on
(conversation, seq)), and pages are keysets, never offsets.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from conversations.models import Contact, Conversation, Inbox, LiveSession, Message, ReadMarker

from .models import AgentProfile, InboxMembership, Mention

LIST_PAGE_SIZE = 50
Status = Conversation.Status


class View:
    MINE = "mine"
    UNASSIGNED = "unassigned"
    ALL = "all"
    CHOICES = (MINE, UNASSIGNED, ALL)


class Sort:
    ACTIVITY = "activity"  # newest activity first
    WAITING = "waiting"  # the customer who has waited longest first
    PRIORITY = "priority"  # most urgent first, then newest activity
    BREACHING = "breaching"  # a service-level deadline within BREACHING_SOON or missed, nearest first
    CHOICES = (ACTIVITY, WAITING, PRIORITY, BREACHING)


BREACHING_SOON = timedelta(minutes=30)


@dataclass(frozen=True)
class ListFilters:
    view: str = View.MINE
    status: str = Status.OPEN  # or "all"
    sort: str = Sort.ACTIVITY
    inbox_id: int | None = None
    team_id: int | None = None
    label_id: int | None = None
    query: str = ""


# --- who sees what: the one rule the desk, the API, the sockets and the reports ask ---
# Administrators and supervisors see and work every inbox (in the desk, the API and the sockets);
# everyone else works the inboxes they are a member of. The role gives no right in the Django
# admin: that stays with is_staff, is_superuser and permissions. The rule comes in two forms, kept
# side by side: for a user in hand, and in SQL for reads that would otherwise pay a query for it.


def sees_every_inbox(user: AbstractBaseUser) -> bool:
    """Does this user see and work every inbox? Reads the user's profile once (then kept on the
    user; the API's token query brings it along)."""
    return user.is_superuser or role_of(user) == AgentProfile.Role.SUPERVISOR


def seeing_every_inbox(user_id: int | OuterRef) -> Exists:
    """sees_every_inbox in SQL, for the user `user_id` (an id, or an OuterRef to one)."""
    users = get_user_model().objects.filter(
        Q(is_superuser=True) | Q(agent_profile__role=AgentProfile.Role.SUPERVISOR), pk=user_id
    )
    return Exists(users)


def sees_all_reports(user: AbstractBaseUser) -> bool:
    """Administrators and supervisors see every agent's figures; an agent sees their own."""
    return user.is_superuser or role_of(user) == AgentProfile.Role.SUPERVISOR


def role_of(user: AbstractBaseUser) -> str:
    """The user's AgentProfile.Role; a user without a profile (an administrator, say) is an agent."""
    profile = getattr(user, "agent_profile", None)  # None also for an anonymous user
    return profile.role if profile is not None else AgentProfile.Role.AGENT


def desk_inboxes(agent: AbstractBaseUser) -> QuerySet:
    """The inboxes this agent works: every active one for administrators and supervisors, else
    the active ones they are a member of. The rule is asked inside this query (seeing_every_inbox),
    so a desk page pays no query of its own for the agent's role."""
    member_of = InboxMembership.objects.filter(agent_id=agent.pk).values("inbox_id")
    works = seeing_every_inbox(agent.pk) | Q(pk__in=member_of)
    return Inbox.objects.filter(works, is_active=True).order_by("name")


def desk_conversations(agent: AbstractBaseUser, filters: ListFilters) -> QuerySet[Conversation]:
    """The conversation list of the desk, filtered and sorted, with everything a row shows."""
    return _with_row_details(_listed(agent, filters), agent).order_by(*ORDERINGS[filters.sort])


def list_page(agent: AbstractBaseUser, filters: ListFilters, *, after: Conversation | None) -> QuerySet:
    """The desk's list from the row after `after` (by keyset; None: from the top), sorted, with
    what a row shows: slice it to a page.

    Sorted by activity on Postgres, the page's rows are those whose ids a subquery finds by
    walking each inbox's and status's own index (conv_inbox_status_activity, newest first) and
    merging them. Otherwise Postgres walks the newest activity of every inbox, filtered down to
    the agent's, and reads the whole table when the agent's inboxes are quiet and others busy (it
    cannot tell that activity and inbox go together). The inboxes are read first, as ids, so
    that each walk names its inbox."""
    inbox_ids = list(desk_inboxes(agent).order_by("pk").values_list("pk", flat=True))
    listed = _listed(agent, filters, Q(inbox_id__in=inbox_ids))
    if after is not None:
        listed = listed.filter(_after(filters.sort, after))
    merge = filters.sort == Sort.ACTIVITY and not filters.query and connection.vendor == "postgresql"
    if merge and inbox_ids:  # no inbox: no rows, and no query for them
        listed = Conversation.objects.filter(pk__in=_newest(listed, filters, inbox_ids))
    return _with_row_details(listed, agent).order_by(*ORDERINGS[filters.sort])


def _newest(listed: QuerySet[Conversation], filters: ListFilters, inbox_ids: list[int]) -> RawSQL:
    """The ids of the LIST_PAGE_SIZE + 1 newest of `listed`, as a subquery of the page's one
    statement: the newest of each (inbox, status), each from its own index, merged. `listed` is
    compiled once, as a LATERAL subquery over the (inbox, status) places, whatever their number.
    An agent's own list is walked per status only (conv_assignee_status_act)."""
    statuses = Status.values if filters.status == "all" else [filters.status]
    per_inbox = filters.view != View.MINE and filters.inbox_id is None
    places = [(inbox_id, status) for inbox_id in (inbox_ids if per_inbox else [0]) for status in statuses]
    size = LIST_PAGE_SIZE + 1
    newest = listed.filter(status=RawSQL("place.status", ()))
    if per_inbox:
        newest = newest.filter(inbox_id=RawSQL("place.inbox_id", ()))
    newest = newest.order_by(*ORDERINGS[Sort.ACTIVITY]).values("pk", "last_activity_at")[:size]
    sql, params = newest.query.sql_with_params()
    merged = f"""
        SELECT newest.pk FROM unnest(%s::bigint[], %s::text[]) AS place (inbox_id, status)
        CROSS JOIN LATERAL ({sql}) AS newest
        ORDER BY newest.last_activity_at DESC, newest.pk DESC LIMIT %s
    """  # noqa: S608 (Django's own SQL for `newest`; every value is a parameter)
    inboxes, statuses = [inbox for inbox, _ in places], [status for _, status in places]
    return RawSQL(merged, (inboxes, statuses, *params, size))  # noqa: S611 (as above)


def _listed(agent: AbstractBaseUser, filters: ListFilters, inboxes: Q | None = None) -> QuerySet:
    works = inboxes if inboxes is not None else Q(inbox__in=desk_inboxes(agent))
    conversations = Conversation.objects.filter(works)
    if filters.view == View.MINE:
        conversations = conversations.filter(assignee=agent)
    elif filters.view == View.UNASSIGNED:
        conversations = conversations.filter(assignee__isnull=True)
    if filters.status != "all":
        conversations = conversations.filter(status=filters.status)
    if filters.inbox_id:
        conversations = conversations.filter(inbox_id=filters.inbox_id)
    if filters.team_id:
        conversations = conversations.filter(team_id=filters.team_id)
    if filters.label_id:
        conversations = conversations.filter(labels=filters.label_id)
    if filters.query:
        conversations = conversations.filter(_search(filters.query))
    if filters.sort == Sort.WAITING:  # who is waiting for a person's reply, longest first (not the bot's)
        conversations = conversations.filter(waiting_since__isnull=False, bot_active=False)
    elif filters.sort == Sort.BREACHING:  # Conversation.sla_due_at: the reports app keeps it
        conversations = conversations.filter(sla_due_at__lte=timezone.now() + BREACHING_SOON)
    return conversations


ORDERINGS = {
    Sort.ACTIVITY: ("-last_activity_at", "-pk"),
    Sort.WAITING: ("waiting_since", "pk"),
    Sort.PRIORITY: ("-priority", "-last_activity_at", "-pk"),
    Sort.BREACHING: ("sla_due_at", "pk"),
}


def row_before(agent: AbstractBaseUser, filters: ListFilters, row: Conversation) -> int | None:
    """The id of the row just above `row` in this agent's list (None: `row` comes first), by
    keyset: where a desk puts a row it was told changed, without fetching the list again."""
    above = _listed(agent, filters).exclude(pk=row.pk).exclude(_after(filters.sort, row))
    reversed_order = [name[1:] if name.startswith("-") else f"-{name}" for name in ORDERINGS[filters.sort]]
    return above.order_by(*reversed_order).values_list("pk", flat=True).first()


def _after(sort: str, row: Conversation) -> Q:
    if sort == Sort.WAITING:
        return Q(waiting_since__gt=row.waiting_since) | Q(waiting_since=row.waiting_since, pk__gt=row.pk)
    if sort == Sort.BREACHING:
        return Q(sla_due_at__gt=row.sla_due_at) | Q(sla_due_at=row.sla_due_at, pk__gt=row.pk)
    at = row.last_activity_at
    later = Q(last_activity_at__lt=at) | Q(last_activity_at=at, pk__lt=row.pk)
    if sort == Sort.PRIORITY:
        return Q(priority__lt=row.priority) | (Q(priority=row.priority) & later)
    return later


def _search(query: str) -> Q:
    """Contacts by name, email or phone, and conversations by the text of their messages: on
    Postgres by full-text search (the GIN index of migration 0005 answers it; words in any order,
    "quoted phrases", -excluded), elsewhere by substring."""
    words = query.strip()[:200]
    public = Message.objects.filter(is_private=False)
    if connection.vendor == "postgresql":
        matching = public.filter(
            RawSQL(
                "to_tsvector('simple', body) @@ websearch_to_tsquery('simple', %s)",
                (words,),
                output_field=BooleanField(),
            )
        )
    else:
        matching = public.filter(body__icontains=words)
    matching_messages = matching.values("conversation_id")
    return (
        Q(contact__name__icontains=words)
        | Q(contact__email__icontains=words)
        | Q(contact__phone__icontains=words)
        | Q(pk__in=matching_messages)
    )


def _with_row_details(conversations: QuerySet[Conversation], agent: AbstractBaseUser) -> QuerySet:
    latest = Message.objects.filter(conversation=OuterRef("pk"), is_private=False).order_by("-seq")
    # OuterRef(OuterRef): the marker of the list's row, looked up once per conversation, not per message.
    read_up_to = ReadMarker.objects.filter(conversation=OuterRef(OuterRef("pk")), agent=agent).values(
        "last_read_seq"
    )[:1]
    unread = (
        Message.objects.filter(
            conversation=OuterRef("pk"),
            sender_kind=Message.SenderKind.CONTACT,
            seq__gt=Coalesce(Subquery(read_up_to), Value(0)),
        )
        .order_by()
        .values("conversation_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    related = conversations.select_related("contact", "inbox", "assignee__agent_profile")
    # The rows' labels: one more query, whatever the number of rows.
    return related.prefetch_related("labels").annotate(
        preview=Subquery(latest.values("body")[:1]),
        preview_sender=Subquery(latest.values("sender_kind")[:1]),
        preview_has_files=Subquery(latest.values("attachments__pk")[:1]),
        unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
    )


def desk_contacts(agent: AbstractBaseUser, query: str = "") -> QuerySet[Contact]:
    """Contacts the agent can see (one of their conversations is in the agent's inboxes),
    matching `query` by name, email or phone."""
    contacts = Contact.objects.filter(
        pk__in=Conversation.objects.filter(inbox__in=desk_inboxes(agent)).values("contact_id")
    )
    if query:
        contacts = contacts.filter(
            Q(name__icontains=query) | Q(email__icontains=query) | Q(phone__icontains=query)
        )
    return contacts.order_by("name", "pk")


def desk_conversation(
    agent: AbstractBaseUser, conversation_id: int, *, with_labels: bool = True
) -> Conversation | None:
    """One conversation the agent may open, with what its header and customer panel show (the
    history pages need no labels: one query fewer)."""
    conversation = Conversation.objects.filter(
        pk=conversation_id, inbox__in=desk_inboxes(agent)
    ).select_related("contact", "inbox", "assignee__agent_profile", "team")
    return (conversation.prefetch_related("labels") if with_labels else conversation).first()


def desk_thread(agent: AbstractBaseUser, conversation_id: int) -> Conversation | None:
    """One conversation the agent may open, joined to its contact only: what a page of its history
    shows (the contact names the customer's messages). The history pages are half of what desks
    ask for; desk_conversation's four joins cost them about 2 ms of planning and building."""
    conversation = Conversation.objects.filter(pk=conversation_id, inbox__in=desk_inboxes(agent))
    return conversation.select_related("contact").order_by().first()


# --- an agent's load: the one definition (routing fills agents by it, the desk shows it) ---

# Every messaging conversation counted as one, whatever it waits for: what the desk shows the agent.
COUNTED = {"customer_waiting": 1, "on_customer": 1, "snoozed": 1}


def agent_loads(
    agent_ids: list[int], *, live: bool, weights: Mapping[str, float] | None = None
) -> dict[int, float]:
    """Each agent's load in one mode: their open live sessions, or their unresolved messaging
    conversations, each weighted by what it waits for (`weights`, by default
    PARLEY_LOAD_WEIGHTS: fully while the customer waits for a reply, less while it waits on the
    customer, least while snoozed). Agents with no load are left out. One query."""
    if not agent_ids:
        return {}
    if live:
        rows = (
            LiveSession.objects.filter(
                agent_id__in=agent_ids, closed_at__isnull=True, kind=LiveSession.Kind.LIVE
            )
            .values("agent_id")
            .annotate(count=Count("pk"))
        )
        return {row["agent_id"]: float(row["count"]) for row in rows}
    weights = settings.PARLEY_LOAD_WEIGHTS if weights is None else weights
    rows = (
        Conversation.objects.filter(assignee_id__in=agent_ids, inbox__mode=Inbox.Mode.MESSAGING)
        .exclude(status=Status.RESOLVED)
        .values("assignee_id")
        .annotate(
            customer_waiting=Count("pk", filter=Q(status=Status.OPEN, waiting_since__isnull=False)),
            on_customer=Count(
                "pk", filter=Q(status=Status.PENDING) | Q(status=Status.OPEN, waiting_since__isnull=True)
            ),
            snoozed=Count("pk", filter=Q(status=Status.SNOOZED)),
        )
    )
    return {
        row["assignee_id"]: row["customer_waiting"] * weights["customer_waiting"]
        + row["on_customer"] * weights["on_customer"]
        + row["snoozed"] * weights["snoozed"]
        for row in rows
    }


@dataclass(frozen=True)
class AgentLoad:
    live: int
    live_capacity: int
    messaging: int
    messaging_capacity: int


def agent_load(agent: AbstractBaseUser) -> AgentLoad:
    """What the desk shows the agent: their load per mode (agent_loads, each messaging
    conversation counted as one) against their capacity (the profile's, or a new profile's
    defaults). Three queries."""
    profile = AgentProfile.objects.filter(user=agent).first() or AgentProfile(user=agent)
    live = agent_loads([agent.pk], live=True).get(agent.pk, 0)
    messaging = agent_loads([agent.pk], live=False, weights=COUNTED).get(agent.pk, 0)
    return AgentLoad(
        live=int(live),
        live_capacity=profile.capacity(live=True),
        messaging=int(messaging),
        messaging_capacity=profile.capacity(live=False),
    )


def waiting_minutes(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(int((now - since).total_seconds() // 60), 0)


# --- an agent's mentions: the notes that named them ---

MENTIONS_PAGE_SIZE = 50


def agent_mentions(agent: AbstractBaseUser) -> QuerySet[Mention]:
    """The agent's mentions in the inboxes they still work, newest first, each with its note, the
    note's conversation and customer, and who wrote it: one query for a page."""
    return (
        Mention.objects.filter(agent_id=agent.pk, message__inbox__in=desk_inboxes(agent))
        .select_related("message__conversation__contact", "author__agent_profile")
        .order_by("-created_at", "-pk")
    )


def mention_unread_count(agent: AbstractBaseUser) -> int:
    """What the desk's badge shows: the agent's unread mentions in the inboxes they work."""
    return Mention.objects.filter(
        agent_id=agent.pk, read_at__isnull=True, message__inbox__in=desk_inboxes(agent)
    ).count()
