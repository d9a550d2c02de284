"""Reads the help center's pages need, joins done: each is one query whatever the number of rows."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from .models import Article, Category, Portal

PUBLISHED = Article.Status.PUBLISHED
POPULAR_ARTICLES = 6
RELATED_ARTICLES = 5


@dataclass(frozen=True)
class Alternate:
    """The same article in another locale (a translation, or the original)."""

    locale: str
    slug: str


@dataclass(frozen=True)
class SitemapEntry:
    locale: str
    slug: str
    updated_at: datetime
    alternates: tuple[Alternate, ...]


def public_portal(slug: str) -> Portal | None:
    """The help center at /help/<slug>/, None when there is none or it is not public."""
    return Portal.objects.filter(slug=slug, is_public=True).first()


def categories_with_counts(portal: Portal, locale: str) -> list[Category]:
    """The portal's categories in `locale` that hold published articles, each with
    `article_count` (its published articles), in their order."""
    return list(
        Category.objects.filter(portal=portal, locale=locale)
        .annotate(article_count=Count("articles", filter=Q(articles__status=PUBLISHED)))
        .filter(article_count__gt=0)
        .order_by("position", "name")
    )


def popular_articles(portal: Portal, locale: str, limit: int = POPULAR_ARTICLES) -> list[Article]:
    """The most read published articles in `locale`, with their categories."""
    return list(
        _published(portal, locale)
        .select_related("category")
        .order_by("-view_count", "position", "title")[:limit]
    )


def category_by_slug(portal: Portal, locale: str, slug: str) -> Category | None:
    return Category.objects.filter(portal=portal, locale=locale, slug=slug).first()


def category_articles(category: Category) -> list[Article]:
    """The category's published articles, in their order (no joins needed: the page knows the category)."""
    return list(
        Article.objects.filter(category=category, status=PUBLISHED)
        .order_by("position", "title")
        .only("slug", "title", "description", "updated_at", "locale")
    )


def article_by_slug(portal: Portal, locale: str, slug: str) -> Article | None:
    """The article at this address whatever its status (the page decides what a draft or an
    archived one answers), with its category and author."""
    return (
        Article.objects.filter(portal=portal, locale=locale, slug=slug)
        .select_related("category", "author")
        .defer("embedding", "author__password")
        .first()
    )


def article_alternates(article: Article) -> list[Alternate]:
    """The published versions of `article` in other locales (its original, and the original's
    other translations), by locale."""
    original_id = article.translation_of_id or article.pk
    rows = (
        Article.objects.filter(Q(pk=original_id) | Q(translation_of_id=original_id), status=PUBLISHED)
        .exclude(pk=article.pk)
        .order_by("locale")
        .values_list("locale", "slug")
    )
    return [Alternate(locale=locale, slug=slug) for locale, slug in rows]


def related_articles(article: Article, limit: int = RELATED_ARTICLES) -> list[Article]:
    """Other published articles of the article's category, in the category's order (not by
    views: the page's ETag includes them, and should not move with every read)."""
    if article.category_id is None:
        return []
    return list(
        Article.objects.filter(category_id=article.category_id, status=PUBLISHED)
        .exclude(pk=article.pk)
        .order_by("position", "title")
        .only("slug", "title", "locale", "updated_at")[:limit]
    )


def sitemap_entries(portal: Portal) -> list[SitemapEntry]:
    """Every published article of the portal in every locale it offers, with its alternates."""
    rows = list(
        Article.objects.filter(portal=portal, status=PUBLISHED, locale__in=portal.all_locales)
        .order_by("locale", "slug")
        .values_list("pk", "translation_of_id", "locale", "slug", "updated_at")
    )
    groups: dict[int, list[Alternate]] = {}
    for pk, original_id, locale, slug, _updated in rows:
        groups.setdefault(original_id or pk, []).append(Alternate(locale=locale, slug=slug))
    return [
        SitemapEntry(
            locale=locale,
            slug=slug,
            updated_at=updated,
            alternates=tuple(groups[original_id or pk]) if len(groups[original_id or pk]) > 1 else (),
        )
        for pk, original_id, locale, slug, updated in rows
    ]


def _published(portal: Portal, locale: str) -> QuerySet[Article]:
    return Article.objects.filter(portal=portal, locale=locale, status=PUBLISHED).defer("embedding", "body")
