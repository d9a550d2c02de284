"""The public help center, one per portal, rendered on the server and readable without JavaScript.

/help/<portal>/                                 -> the reader's language among the portal's, else its default
/help/<portal>/<locale>/                        home: search, categories, popular articles
/help/<portal>/<locale>/categories/<slug>/      a category's articles
/help/<portal>/<locale>/articles/<slug>/        an article (drafts 404; archived 410 once published)
/help/<portal>/<locale>/search?q=...            search results; a refused query is a 400 page
/help/<portal>/sitemap.xml, robots.txt          for crawlers

Each page costs a fixed handful of queries (tests/knowledge/test_helpcenter.py pins them).
"""

import hashlib

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from .. import selectors, services
from ..markdown import plain_text, render_markdown
from ..models import Article, Portal
from ..search import QueryRefused, search_articles
from .pages import (
    PageMissing,
    absolute,
    cached_for_everyone,
    error_page,
    home_url,
    in_page_language,
    is_reader,
    page_etag,
    portal_page,
)

SEARCH_RESULTS = 10
DESCRIPTION_LENGTH = 160  # what search engines show of a meta description
RENDERED_BODY_SECONDS = 3600
FEEDBACK_SENT = "sent"  # ?feedback=sent: the reader just answered "Was this helpful?"


@require_safe
def portal_root(request: HttpRequest, portal_slug: str) -> HttpResponse:
    """To the help center's home in the reader's language when the portal offers it."""
    try:
        page = portal_page(request, portal_slug)
    except PageMissing as missing:
        return missing.response
    locale = preferred_locale(request.headers.get("Accept-Language", ""), page.portal.all_locales)
    response = HttpResponseRedirect(home_url(page.portal, locale or page.portal.default_locale))
    patch_vary_headers(response, ["Accept-Language"])
    return response


@require_safe
@in_page_language
def home(request: HttpRequest, portal_slug: str, locale: str) -> HttpResponse:
    try:
        page = portal_page(request, portal_slug, locale)
    except PageMissing as missing:
        return missing.response
    page.twins = {code: home_url(page.portal, code) for code in page.portal.all_locales}
    context = {
        "page": page,
        "categories": selectors.categories_with_counts(page.portal, locale),
        "popular": selectors.popular_articles(page.portal, locale),
        "canonical": absolute(page.home_url),
        "alternates": [(code, absolute(url)) for code, url in page.twins.items()],
    }
    return cached_for_everyone(request, render(request, "helpcenter/home.html", context))


@require_safe
@in_page_language
def category(request: HttpRequest, portal_slug: str, locale: str, category_slug: str) -> HttpResponse:
    try:
        page = portal_page(request, portal_slug, locale)
    except PageMissing as missing:
        return missing.response
    found = selectors.category_by_slug(page.portal, locale, category_slug)
    if found is None:
        return error_page(request, page, reason="category")
    path = reverse(
        "knowledge:category",
        kwargs={"portal_slug": portal_slug, "locale": locale, "category_slug": category_slug},
    )
    context = {
        "page": page,
        "category": found,
        "articles": selectors.category_articles(found),
        "canonical": absolute(path),
    }
    return cached_for_everyone(request, render(request, "helpcenter/category.html", context))


@require_safe
@in_page_language
def article(request: HttpRequest, portal_slug: str, locale: str, article_slug: str) -> HttpResponse:
    try:
        page = portal_page(request, portal_slug, locale)
    except PageMissing as missing:
        return missing.response
    found = selectors.article_by_slug(page.portal, locale, article_slug)
    if found is None or found.status == Article.Status.DRAFT:
        return error_page(request, page, reason="article")
    if found.status == Article.Status.ARCHIVED:
        # Gone, not missing, when it was once public: crawlers drop it sooner and readers learn
        # it was retired. One never published stays a plain 404 (its address was never out).
        if found.published_at is None:
            return error_page(request, page, reason="article")
        return error_page(request, page, reason="archived", status=410)

    alternates = selectors.article_alternates(found)
    related = selectors.related_articles(found)
    page.twins = {
        alternate.locale: _article_path(portal_slug, alternate.locale, alternate.slug)
        for alternate in alternates
    }
    path = _article_path(portal_slug, locale, found.slug)
    feedback_sent = request.GET.get("feedback") == FEEDBACK_SENT
    etag = page_etag(
        {
            "article": (found.pk, found.updated_at, found.category_id, found.author_id),
            "category": (found.category.name, found.category.slug) if found.category else None,
            "author": _author_name(found),
            "portal": (page.portal.pk, page.portal.updated_at),
            "alternates": [(a.locale, a.slug) for a in alternates],
            "related": [(a.pk, a.slug, a.title) for a in related],
            "feedback_sent": feedback_sent,
        }
    )
    last_modified = max(found.updated_at, page.portal.updated_at).timestamp()
    if is_reader(request) and not feedback_sent:
        services.article_record_view(article_id=found.pk)
    unchanged = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if unchanged is not None:
        return _revalidated(unchanged, etag, last_modified)

    context = {
        "page": page,
        "article": found,
        "body": rendered_body(found.body),
        "meta_description": found.description or plain_text(found.body, DESCRIPTION_LENGTH),
        "author_name": _author_name(found),
        "related": related,
        "canonical": absolute(path),
        "alternates": [(locale, absolute(path))]
        + [(code, absolute(url)) for code, url in page.twins.items()],
        "feedback_sent": feedback_sent,
    }
    response = render(request, "helpcenter/article.html", context)
    return _revalidated(response, etag, last_modified)


@require_safe
@in_page_language
def search(request: HttpRequest, portal_slug: str, locale: str) -> HttpResponse:
    """Search results; no query is the search page itself, a query search refuses is a 400 that
    says why."""
    try:
        page = portal_page(request, portal_slug, locale)
    except PageMissing as missing:
        return missing.response
    query = request.GET.get("q", "")
    context: dict[str, object] = {"page": page, "query": query, "hits": None, "refusal": None}
    status = 200
    if query.strip():
        try:
            context["hits"] = search_articles(
                portal=page.portal, query=query, locale=locale, limit=SEARCH_RESULTS
            )
        except QueryRefused as refusal:
            context["refusal"], status = refusal.detail, 400
    return render(request, "helpcenter/search.html", context, status=status)


@require_safe
def sitemap(request: HttpRequest, portal_slug: str) -> HttpResponse:
    """Every published article in every locale, with when it last changed and its translations."""
    try:
        page = portal_page(request, portal_slug)
    except PageMissing as missing:
        return missing.response
    portal = page.portal
    entries = [
        {
            "url": absolute(_article_path(portal.slug, entry.locale, entry.slug)),
            "updated_at": entry.updated_at,
            "alternates": [
                (alternate.locale, absolute(_article_path(portal.slug, alternate.locale, alternate.slug)))
                for alternate in entry.alternates
            ],
        }
        for entry in selectors.sitemap_entries(portal)
    ]
    homes = [absolute(home_url(portal, code)) for code in portal.all_locales]
    response = render(
        request,
        "helpcenter/sitemap.xml",
        {"entries": entries, "homes": homes},
        content_type="application/xml; charset=utf-8",
    )
    patch_cache_control(response, public=True, max_age=3600)
    return response


@require_safe
def robots(request: HttpRequest, portal_slug: str) -> HttpResponse:
    try:
        page = portal_page(request, portal_slug)
    except PageMissing as missing:
        return missing.response
    slug = page.portal.slug
    lines = [
        "User-agent: *",
        f"Allow: /help/{slug}/",
        *(f"Disallow: /help/{slug}/{code}/search" for code in page.portal.all_locales),
        f"Sitemap: {absolute(reverse('knowledge:sitemap', kwargs={'portal_slug': slug}))}",
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=86400)
    return response


def site_robots(request: HttpRequest) -> HttpResponse:
    """/robots.txt, the one crawlers read: the help centers are open (their search pages are not
    worth crawling), everything else is the product's private side; each public portal's sitemap."""
    slugs = list(Portal.objects.filter(is_public=True).order_by("slug").values_list("slug", flat=True))
    lines = [
        "User-agent: *",
        *(f"Allow: /help/{slug}/" for slug in slugs),
        "Disallow: /help/*/*/search",
        "Disallow: /",
    ]
    lines += [
        f"Sitemap: {absolute(reverse('knowledge:sitemap', kwargs={'portal_slug': slug}))}" for slug in slugs
    ]
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    patch_cache_control(response, public=True, max_age=3600)
    return response


def preferred_locale(accept_language: str, offered: list[str]) -> str | None:
    """The first locale of an Accept-Language header the portal offers, exactly or by its
    primary language ("fr-CA" finds "fr"; "pt" finds "pt-BR"); None when none."""
    weighted = []
    for position, part in enumerate(accept_language.split(",")[:20]):
        tag, _, parameters = part.strip().partition(";")
        try:
            quality = float(parameters.strip().removeprefix("q=")) if parameters else 1.0
        except ValueError:
            continue
        if tag and quality > 0:
            weighted.append((-quality, position, tag.strip().lower()))
    by_code = {code.lower(): code for code in offered}
    for _, _, tag in sorted(weighted):
        if tag in by_code:
            return by_code[tag]
        language = tag.split("-")[0]
        match = by_code.get(language) or next(
            (code for lower, code in by_code.items() if lower.split("-")[0] == language), None
        )
        if match:
            return match
    return None


def rendered_body(body: str) -> SafeString:
    """render_markdown, remembered by the body's hash for an hour: a long article costs a second
    of pure-Python parsing, and an edit is a new hash. Only what nh3 cleaned is ever cached."""
    key = f"knowledge:body:v1:{hashlib.sha256(body.encode('utf-8', 'surrogatepass')).hexdigest()}"
    cached = cache.get(key)
    if cached is not None:
        return mark_safe(cached)  # noqa: S308  cleaned by render_markdown before it was stored
    html = render_markdown(body)
    cache.set(key, str(html), RENDERED_BODY_SECONDS)
    return html


def _article_path(portal_slug: str, locale: str, slug: str) -> str:
    return reverse(
        "knowledge:article", kwargs={"portal_slug": portal_slug, "locale": locale, "article_slug": slug}
    )


def _author_name(article: Article) -> str:
    """The author's full name; never their login name, which is not for the public."""
    return article.author.get_full_name() if article.author is not None else ""


def _revalidated(response: HttpResponse, etag: str, last_modified: float) -> HttpResponse:
    """An article page is checked with the server on each visit (it holds the reader's form
    token, so it is private), at the cost of a 304 when nothing changed."""
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(response, private=True, no_cache=True)
    return response
