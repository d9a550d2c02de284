"""The composer's article picker: help articles of the conversation's help center, found by what
the agent types, each offered as "Title: URL" to insert into the reply.

Only published articles (a customer cannot open a draft), in the customer's language when the help
center offers it. Before anything is typed it offers the articles readers open most.
"""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from knowledge.links import article_url
from knowledge.models import Article, Portal
from knowledge.search import QueryRefused, search_articles

from ..view_helpers import conversation_or_404, desk_view
from . import article_selectors as selectors

PICKER_SIZE = 8


@dataclass(frozen=True)
class ArticleLink:
    article: Article
    url: str
    snippet: str

    @property
    def insert(self) -> str:
        """What goes into the reply: the title a customer reads, then the link."""
        return f"{self.article.title}: {self.url}"


@require_GET
@desk_view
def article_links(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id, with_labels=False)
    portal = selectors.conversation_portal(conversation)
    query = request.GET.get("q", "").strip()
    context = {"conversation": conversation, "portal": portal, "query": query, "links": [], "refusal": ""}
    if portal is not None:
        locale = selectors.reader_locale(portal, conversation.contact)
        context["locale"] = locale
        try:
            context["links"] = _links(portal, locale, query)
        except QueryRefused as refusal:
            context["refusal"] = refusal.detail
    return render(request, "desk/kb/_picker_results.html", context)


def _links(portal: Portal, locale: str, query: str) -> list[ArticleLink]:
    if not query:
        articles = selectors.popular_articles(portal, locale, PICKER_SIZE)
        found = [(article, article.description) for article in articles]
    else:
        hits = search_articles(portal=portal, query=query, locale=locale, limit=PICKER_SIZE)
        found = [(hit.article, hit.snippet) for hit in hits]
    for article, _ in found:
        article.portal = portal  # one portal for all: article_url reads its slug without a query each
    return [
        ArticleLink(article=article, url=article_url(article), snippet=snippet) for article, snippet in found
    ]
