"""What the API reads, each scoped to the inboxes the agent works (agents.selectors.desk_inboxes;
administrators and supervisors: all, by agents.selectors.sees_every_inbox). Something outside that
scope is simply not found: the views answer 404.

Every list here costs a fixed number of queries whatever its length: joins are done here, and
the views' query counts are pinned by tests/api/test_query_counts.py.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet
from rest_framework.authtoken.models import Token

from agents.selectors import (
    ListFilters,
    View,
    desk_conversation,
    desk_conversations,
    desk_inboxes,
    sees_every_inbox,
)
from conversations import selectors as thread_selectors
from conversations.models import Contact, ContactIdentity, Conversation, Inbox, Label, Message
from conversations.payloads import SENDER_RELATED
from conversations.services import contact_merge_suggestions
from knowledge.models import Article, ArticleQuestion, Category, Portal
from knowledge.search import SearchHit, search_articles


def contacts_for_agent(agent: AbstractBaseUser, query: str = "") -> QuerySet[Contact]:
    """Contacts the agent may see: administrators and supervisors all; others those with a
    conversation or an identity in one of their inboxes. `query` matches name, email or phone."""
    contacts = Contact.objects.all()
    if not sees_every_inbox(agent):
        inboxes = desk_inboxes(agent)
        contacts = contacts.filter(
            Q(pk__in=Conversation.objects.filter(inbox__in=inboxes).values("contact_id"))
            | Q(pk__in=ContactIdentity.objects.filter(inbox__in=inboxes).values("contact_id"))
        )
    if query:
        contacts = contacts.filter(
            Q(name__icontains=query) | Q(email__icontains=query) | Q(phone__icontains=query)
        )
    return contacts.order_by("name", "pk")


def contact_for_agent(agent: AbstractBaseUser, contact_id: int) -> Contact | None:
    return contacts_for_agent(agent).filter(pk=contact_id).first()


def identities_for_agent(agent: AbstractBaseUser, contact: Contact) -> QuerySet[ContactIdentity]:
    """How the contact is known on the agent's inboxes (administrators and supervisors: on every inbox)."""
    identities = ContactIdentity.objects.filter(contact=contact)
    if not sees_every_inbox(agent):
        identities = identities.filter(inbox__in=desk_inboxes(agent))
    return identities.select_related("inbox").order_by("inbox__name", "pk")


def identity_on_inbox(*, inbox: Inbox, source_id: str) -> ContactIdentity | None:
    return ContactIdentity.objects.filter(inbox=inbox, source_id=source_id).first()


def merge_suggestions_for_agent(agent: AbstractBaseUser, contact: Contact) -> list[Contact]:
    """The core's suggestions (same email or phone), less those the agent may not see."""
    suggested = [suggestion.pk for suggestion in contact_merge_suggestions(contact)]
    if not suggested:
        return []
    return list(contacts_for_agent(agent).filter(pk__in=suggested).order_by("-created_at", "pk"))


@dataclass(frozen=True)
class ConversationFilters:
    inbox_id: int | None = None
    status: str | None = None
    assignee: str | None = None  # "me", "none" or an agent's id
    label_id: int | None = None


def conversations_for_agent(agent: AbstractBaseUser, filters: ConversationFilters) -> QuerySet[Conversation]:
    """The desk's list (same scope and joins), filtered as the API asks; the pagination orders it."""
    view = {"me": View.MINE, "none": View.UNASSIGNED}.get(filters.assignee or "", View.ALL)
    conversations = desk_conversations(
        agent,
        ListFilters(
            view=view,
            status=filters.status or "all",
            inbox_id=filters.inbox_id,
            label_id=filters.label_id,
        ),
    )
    if view == View.ALL and filters.assignee:
        conversations = conversations.filter(assignee_id=int(filters.assignee))
    return conversations.select_related("team").prefetch_related("labels")


def conversation_for_agent(
    agent: AbstractBaseUser, conversation_id: int, *, with_labels: bool = True
) -> Conversation | None:
    """One conversation the agent may reach (with its labels, unless the caller shows none)."""
    return desk_conversation(agent, conversation_id, with_labels=with_labels)


def messages_page(
    *, conversation: Conversation, after: int | None, before: int | None, limit: int
) -> tuple[list[Message], bool]:
    """A page of the conversation's messages (private notes included), oldest first, and whether
    there are more in the direction of paging: after `after`, or before `before` (by default the
    newest page)."""
    page = thread_selectors.message_page(
        conversation_id=conversation.pk,
        include_private=True,
        after_seq=after,
        before_seq=before,
        limit=limit,
        related=SENDER_RELATED,
    )
    return page.messages, page.has_more


def message_of_conversation(*, conversation: Conversation, message_id: int) -> Message | None:
    message = thread_selectors.message_for_clients(message_id=message_id, related=SENDER_RELATED)
    return message if message is not None and message.conversation_id == conversation.pk else None


def message_for_agent(message_id: int) -> Message | None:
    """A message just written through a service, read back as the API shows it."""
    return thread_selectors.message_for_clients(message_id=message_id, related=SENDER_RELATED)


def labels() -> QuerySet[Label]:
    return Label.objects.order_by("name")


def inboxes_for_agent(agent: AbstractBaseUser) -> QuerySet[Inbox]:
    return desk_inboxes(agent)


def assignable_agents() -> QuerySet:
    """Active users the desk would list as agents; whether one works a conversation's inbox is
    the assignment service's to check."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(is_staff=True, agent_profile__isnull=False))
    )


def token_of(agent: AbstractBaseUser) -> Token | None:
    return Token.objects.filter(user=agent).first()


# --- The knowledge base: the help centers linked to an inbox the agent works (administrators and
# supervisors: all). ---


def portals_for_agent(agent: AbstractBaseUser) -> QuerySet[Portal]:
    portals = Portal.objects.all()
    if not sees_every_inbox(agent):
        linked = Portal.inboxes.through.objects.filter(inbox__in=desk_inboxes(agent)).values("portal_id")
        portals = portals.filter(pk__in=linked)
    return portals.order_by("name", "pk")


def portal_for_agent(agent: AbstractBaseUser, slug: str) -> Portal | None:
    return portals_for_agent(agent).filter(slug=slug).first()


@dataclass(frozen=True)
class ArticleFilters:
    portal: str | None = None  # a portal's slug
    status: str | None = None
    locale: str | None = None


def articles_for_agent(agent: AbstractBaseUser, filters: ArticleFilters) -> QuerySet[Article]:
    """Articles of the agent's help centers, any status, with their portal (for their links); the
    list shows no body, so none is read."""
    articles = Article.objects.filter(portal__in=portals_for_agent(agent))
    if filters.portal:
        articles = articles.filter(portal__slug=filters.portal)
    if filters.status:
        articles = articles.filter(status=filters.status)
    if filters.locale:
        articles = articles.filter(locale=filters.locale)
    return articles.select_related("portal").defer("embedding", "body").order_by("pk")


def article_for_agent(agent: AbstractBaseUser, article_id: int) -> Article | None:
    """One article of the agent's help centers, whole, with its portal and its questions."""
    return (
        Article.objects.filter(pk=article_id, portal__in=portals_for_agent(agent))
        .select_related("portal")
        .prefetch_related(Prefetch("questions", ArticleQuestion.objects.only("pk", "article_id", "text")))
        .defer("embedding")
        .first()
    )


def categories_for_agent(agent: AbstractBaseUser) -> QuerySet[Category]:
    return Category.objects.filter(portal__in=portals_for_agent(agent))


def help_search(*, portal: Portal, query: str, locale: str | None, limit: int) -> list[SearchHit]:
    """The portal's published articles that best answer `query` (knowledge.search), each knowing
    its portal so its link costs no query. Raises knowledge.search.QueryRefused."""
    hits = search_articles(portal=portal, query=query, locale=locale, limit=limit)
    for hit in hits:
        hit.article.portal = portal
    return hits
