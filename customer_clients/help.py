"""The help center inside the widget: search as the visitor types (on the home view, and under
the composer while they write a question), and one article to read without leaving the frame.

    GET /widget/api/v1/help/search?key=…&q=…&locale=…  -> {"articles": [summary, …]}
    GET /widget/api/v1/help/articles/<id>?key=…         -> one published article, as safe HTML

The help center is the first portal linked to the widget's inbox (widget.widget_portal). An
inbox without one answers no articles rather than an error, so a client may always ask. Search
is knowledge.search's, refusals included, and answers only articles as sure as the answer bot needs
to be (answer_threshold): a visitor is better told "no article matches" than shown whatever came
nearest. A blank query answers the most read articles instead.
An article's HTML is knowledge.markdown's (Markdown without raw HTML, then an allow-list): the
frame inserts this one answer as HTML and nothing else (docs/protocol.md, "Help center").
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from knowledge import selectors as knowledge_selectors
from knowledge.links import article_url
from knowledge.markdown import render_markdown
from knowledge.models import Article, Portal
from knowledge.search import QueryRefused, answer_threshold, search_articles
from knowledge.search.engine import checked_locale
from knowledge.services import article_record_view

from . import protocol
from .answers import cors, refusal
from .ratelimit import seconds_to_next_window, within_rate
from .widget import inbox_refusal, widget_inbox, widget_portal

RESULTS = 5  # what a search or the popular list answers at most
# Per inbox and network address. The widget asks at each pause in typing (about one a word at
# most), so a visitor typing without a break for a minute stays under; an office behind one
# address shares it.
SEARCHES_PER_MINUTE = 120


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The portal's articles that best answer `q` in `locale` (default: the portal's), or its most
    read ones when `q` is blank."""
    origin = request.headers.get("Origin")
    inbox = widget_inbox(request.GET.get("key", ""))
    if (refused := inbox_refusal(inbox, request)) is not None:
        return refused
    if not within_rate(f"help-search:{inbox.pk}:{visitor_address(request)}", per_minute=SEARCHES_PER_MINUTE):
        answer = refusal(
            protocol.ErrorCode.RATE_LIMITED,
            "Too many searches in a minute: wait a moment, then try again.",
            429,
            origin,
        )
        answer["Retry-After"] = str(seconds_to_next_window())
        return answer
    portal = widget_portal(inbox)
    if portal is None:
        return cors(JsonResponse({"articles": []}), origin)
    query, locale = request.GET.get("q", ""), request.GET.get("locale") or None
    try:
        summaries = found(portal, query, locale) if query.strip() else popular(portal, locale)
    except QueryRefused as refused:
        return refusal(refused.code, refused.detail, 400, origin)
    return cors(JsonResponse({"articles": summaries}), origin)


@require_GET
def article(request: HttpRequest, article_id: int) -> HttpResponse:
    """One published article of the inbox's help center, its body as sanitised HTML. Reading it
    here counts as a view, as on the help center's own page."""
    origin = request.headers.get("Origin")
    inbox = widget_inbox(request.GET.get("key", ""))
    if (refused := inbox_refusal(inbox, request)) is not None:
        return refused
    portal = widget_portal(inbox)
    shown = published_article(portal, article_id) if portal is not None else None
    if shown is None:
        return refusal(protocol.ErrorCode.NOT_FOUND, "This help center has no such article.", 404, origin)
    shown.portal = portal  # for its link, without a query
    article_record_view(article_id=shown.pk)
    body = {
        "id": shown.pk,
        "title": shown.title,
        "html": str(render_markdown(shown.body)),
        "url": article_url(shown),
        "updated_at": shown.updated_at.isoformat(),
    }
    return cors(JsonResponse(body), origin)


def found(portal: Portal, query: str, locale: str | None) -> list[dict]:
    hits = search_articles(portal=portal, query=query, locale=locale, limit=RESULTS)
    floor = answer_threshold()
    return [summary(portal, hit.article, hit.snippet) for hit in hits if hit.score >= floor]


def popular(portal: Portal, locale: str | None) -> list[dict]:
    shelf = checked_locale(portal, locale)  # the same refusal as a search in that locale
    articles = knowledge_selectors.popular_articles(portal, shelf, limit=RESULTS)
    return [summary(portal, article, article.description) for article in articles]


def summary(portal: Portal, article: Article, snippet: str) -> dict:
    """One result. `portal` is the article's own, given so its link costs no query."""
    article.portal = portal
    return {
        "id": article.pk,
        "title": article.title,
        "snippet": snippet,
        "url": article_url(article),
        "category": article.category.name if article.category else None,
    }


def published_article(portal: Portal, article_id: int) -> Article | None:
    """The article if it is published and of `portal`: a draft, an archived one or another
    portal's is no article to a visitor."""
    return (
        Article.objects.defer("embedding")
        .filter(pk=article_id, portal=portal, status=Article.Status.PUBLISHED)
        .first()
    )


def visitor_address(request: HttpRequest) -> str:
    """Whom a search is counted against: searching needs no session, so the network address.
    Parley's Daphne runs without proxy headers: behind a proxy, set them up so this is the
    visitor's and not the proxy's (else one busy proxy shares one allowance)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"
