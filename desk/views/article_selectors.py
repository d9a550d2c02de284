"""What the desk's knowledge-base pages read: who may write articles, the help centers an agent
writes for, their articles as the list shows them, one article for the editor, and the help
center (and locale) a conversation's replies link to.

Each read costs a fixed number of queries whatever the number of rows: the list defers article
bodies (up to 200,000 characters each) and counts questions in its one query; translations come
in one prefetch.
"""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, F, Prefetch, Q, QuerySet

from agents.models import AgentProfile
from agents.selectors import desk_inboxes, sees_every_inbox
from conversations.models import Contact, Conversation
from knowledge.models import Article, ArticleQuestion, Category, Portal

ARTICLE_PAGE_SIZE = 50
STATUSES = tuple(Article.Status.values)


@dataclass(frozen=True)
class ArticleFilters:
    portal_id: int | None = None
    status: str = ""  # one of STATUSES, or "" for every status
    locale: str = ""
    query: str = ""


def may_write_articles(agent: AbstractBaseUser) -> bool:
    """Any active agent (a staff user with an agent profile) writes and publishes; admins too."""
    if not (agent.is_active and agent.is_staff):
        return False
    if agent.is_superuser:
        return True
    try:
        return agent.agent_profile is not None  # loaded once, kept on the user: pages show its name
    except AgentProfile.DoesNotExist:
        return False


def writable_portals(agent: AbstractBaseUser) -> QuerySet[Portal]:
    """The help centers linked to an inbox the agent works (administrators and supervisors: every one)."""
    portals = Portal.objects.all()
    if not sees_every_inbox(agent):
        linked = Portal.inboxes.through.objects.filter(inbox__in=desk_inboxes(agent))
        portals = portals.filter(pk__in=linked.values("portal_id"))
    return portals.order_by("name", "pk")


def article_rows(agent: AbstractBaseUser, filters: ArticleFilters) -> QuerySet[Article]:
    """The articles of the agent's help centers, newest change first, with what a row shows."""
    articles = Article.objects.filter(portal__in=writable_portals(agent))
    if filters.portal_id:
        articles = articles.filter(portal_id=filters.portal_id)
    if filters.status in STATUSES:
        articles = articles.filter(status=filters.status)
    if filters.locale:
        articles = articles.filter(locale=filters.locale)
    if filters.query:
        words = filters.query[:200]
        asked = ArticleQuestion.objects.filter(text__icontains=words).values("article_id")
        articles = articles.filter(
            Q(title__icontains=words)
            | Q(description__icontains=words)
            | Q(slug__icontains=words)
            | Q(body__icontains=words)
            | Q(pk__in=asked)
        )
    translations = Article.objects.only("pk", "locale", "status", "translation_of_id").order_by("locale")
    return (
        articles.defer("body", "embedding")
        .select_related("portal", "category", "author__agent_profile")
        .annotate(question_count=Count("questions"), original_title=F("translation_of__title"))
        .prefetch_related(Prefetch("translations", queryset=translations))
        .order_by("-updated_at", "-pk")
    )


def rows_after(articles: QuerySet[Article], cursor: Article) -> QuerySet[Article]:
    """The rows after `cursor` in the list's order: the next page, by keyset."""
    return articles.filter(
        Q(updated_at__lt=cursor.updated_at) | Q(updated_at=cursor.updated_at, pk__lt=cursor.pk)
    )


def article_for_editing(agent: AbstractBaseUser, article_id: int) -> Article | None:
    """One article of the agent's help centers, with its questions and translations."""
    translations = Article.objects.only("pk", "locale", "status", "title", "translation_of_id")
    return (
        Article.objects.filter(pk=article_id, portal__in=writable_portals(agent))
        .select_related("portal", "category", "translation_of")
        .prefetch_related("questions", Prefetch("translations", queryset=translations.order_by("locale")))
        .first()
    )


def portal_categories(portal: Portal) -> list[Category]:
    """Every category of the portal, by locale then the portal's own order (the editor groups them)."""
    return list(Category.objects.filter(portal=portal).order_by("locale", "position", "name"))


def translation_family(article: Article) -> list[Article]:
    """The original and every translation of it (the article itself included), by locale."""
    original_id = article.translation_of_id or article.pk
    return list(
        Article.objects.filter(Q(pk=original_id) | Q(translation_of_id=original_id))
        .only("pk", "locale", "status", "title", "translation_of_id")
        .order_by("locale")
    )


def conversation_portal(conversation: Conversation) -> Portal | None:
    """The help center a conversation's replies link to: its inbox's (the first by name when an
    inbox answers from several)."""
    return Portal.objects.filter(inboxes=conversation.inbox_id).order_by("name", "pk").first()


def reader_locale(portal: Portal, contact: Contact) -> str:
    """The portal locale nearest the customer's language ("pt-BR", then "pt"), else its default."""
    language = (contact.language or "").strip()
    offered = portal.all_locales
    for candidate in (language, language.split("-")[0].lower()):
        if candidate and candidate in offered:
            return candidate
    return portal.default_locale


def popular_articles(portal: Portal, locale: str, limit: int) -> list[Article]:
    """Published articles readers open most: what the link picker offers before anything is typed."""
    return list(
        Article.objects.filter(portal=portal, locale=locale, status=Article.Status.PUBLISHED)
        .defer("body", "embedding")
        .select_related("category")
        .order_by("-view_count", "title", "pk")[:limit]
    )
