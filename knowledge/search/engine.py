"""search_articles: refuse what cannot be searched, gather lexical evidence (Postgres full text
and trigrams, or Python on SQLite) and semantic evidence (the vector index), fuse them, and return
hits with their article, score, snippet and the question that matched best.

Statements per search: one for the shelf's stamp and the query's lexemes, one for the hits'
articles with their categories; one more when the query's words match fewer than three articles
(the trigram pass), and two more when the shelf changed since this process last looked (the index
rebuilds).
"""

from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext

from conversations.refusals import Refused
from knowledge.models import Article, Portal

from . import embedding, ranking, snippets, text, vectors

MAX_QUERY_LENGTH = 500  # characters
MAX_LIMIT = 50
# The confidence below which the bot hands off rather than guess: measured by `python -m bench kb`
# on banking77 and an out-of-scope set (docs/benchmarks.md); PARLEY_BOT_THRESHOLD overrides it.
DEFAULT_THRESHOLD = 1.5


class QueryRefused(Refused):
    """A search that cannot run: code "query_empty", "query_too_long" or "unknown_locale"."""


@dataclass(frozen=True)
class SearchHit:
    article: Article  # its category is loaded with it
    score: float  # confidence: comparable across the queries of one portal (answer_threshold())
    snippet: str  # plain text, at most 200 characters
    matched_question: str  # the article's question nearest the query, "" if none


def answer_threshold() -> float:
    """The score from which the bot answers instead of handing off."""
    configured = getattr(settings, "PARLEY_BOT_THRESHOLD", None)
    return float(configured) if configured is not None else DEFAULT_THRESHOLD


def search_articles(
    *, portal: Portal, query: str, locale: str | None = None, limit: int = 5, include_drafts: bool = False
) -> list[SearchHit]:
    """The portal's articles in `locale` (default: the portal's) that best answer `query`, best
    first: published ones, and drafts too with include_drafts; never archived ones. Raises
    QueryRefused for an empty or too long query and for a locale the portal does not offer."""
    return search(portal=portal, query=query, locale=locale, limit=limit, include_drafts=include_drafts)


def search(
    *,
    portal: Portal,
    query: str,
    locale: str | None = None,
    limit: int = 5,
    include_drafts: bool = False,
    weights: ranking.Weights = ranking.SHIPPED,
) -> list[SearchHit]:
    """search_articles with the fusion weights given: the benchmark measures each signal alone."""
    query = checked_query(query)
    locale = checked_locale(portal, locale)
    statuses = [Article.Status.PUBLISHED, *([Article.Status.DRAFT] if include_drafts else [])]
    on_postgres = connection.vendor == "postgresql"
    if not weights.semantic and on_postgres:
        return _postgres_alone(portal, locale, statuses, query, limit)
    if on_postgres:
        stamp, words = text.shelf_state(portal_id=portal.pk, locale=locale, query=query)
    else:
        stamp, words = text.shelf_stamp(portal_id=portal.pk, locale=locale), text.terms(query)
    shelf = vectors.shelf(portal_id=portal.pk, locale=locale, stamp=stamp)
    allowed = shelf.published | include_drafts
    lexical = shelf.lexicon.scores(words)
    if on_postgres and np.count_nonzero(lexical[allowed]) < text.FEW:  # few words matched: typos?
        _add_trigram_matches(lexical, shelf, portal=portal, locale=locale, statuses=statuses, query=query)
    query_vector = embedding.embed([query])[0] if weights.semantic else None
    evidence = ranking.signals(shelf, query_vector, lexical, allowed, weights)
    values = ranking.fused(evidence, weights)
    if not weights.semantic:  # lexical alone: what no word matched is no result
        values = np.where(evidence.lexical > 0, values, -np.inf)
    order = np.argsort(-values, kind="stable")
    order = order[np.isfinite(values[order])][: max(0, min(limit, MAX_LIMIT))]
    scores = ranking.confidences(values, order, weights)
    found = [
        (int(shelf.article_ids[row]), float(score), ranking.nearest_question(shelf, row, query_vector))
        for row, score in zip(evidence.rows[order], scores, strict=True)
    ]
    return _hits(found, statuses)


def _add_trigram_matches(
    lexical: np.ndarray, shelf: vectors.Shelf, *, portal: Portal, locale: str, statuses: list[str], query: str
) -> None:
    fuzzy = text.trigram_scores(portal_id=portal.pk, locale=locale, statuses=statuses, query=query)
    for article_id, similarity in fuzzy.items():
        if article_id in shelf.row_of:
            lexical[shelf.row_of[article_id]] += text.FUZZY_WEIGHT * similarity


def _postgres_alone(
    portal: Portal, locale: str, statuses: list[str], query: str, limit: int
) -> list[SearchHit]:
    """Full text and trigrams ranked by Postgres, no vectors: the benchmark's baseline."""
    lexical = text.postgres_scores(portal_id=portal.pk, locale=locale, statuses=statuses, query=query)
    best = sorted(lexical.scores.items(), key=lambda item: -item[1])[: max(0, min(limit, MAX_LIMIT))]
    top = best[0][1] if best else 1.0
    return _hits([(article_id, score / top, "") for article_id, score in best], statuses)


def _hits(found: list[tuple[int, float, str]], statuses: list[str]) -> list[SearchHit]:
    """(article id, score, matched question), best first, as hits with their articles."""
    if not found:
        return []
    # Status checked again: an article archived since the shelf's stamp was read never shows.
    articles = (
        Article.objects.select_related("category")
        .filter(status__in=statuses)
        .in_bulk([article_id for article_id, _, _ in found])
    )
    return [
        SearchHit(
            article=articles[article_id],
            score=round(score, 4),
            snippet=snippets.snippet(articles[article_id].description, articles[article_id].body),
            matched_question=question,
        )
        for article_id, score, question in found
        if article_id in articles
    ]


def checked_query(query: str) -> str:
    """The query as searched (NUL and lone surrogates blanked, spaces trimmed), or a refusal."""
    cleaned = "".join(" " if char == "\x00" or "\ud800" <= char <= "\udfff" else char for char in query)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise QueryRefused("query_empty", gettext("Type a few words about what you are looking for."))
    if len(cleaned) > MAX_QUERY_LENGTH:
        raise QueryRefused(
            "query_too_long",
            gettext("Searches are limited to %(most)d characters: keep the words that matter most.")
            % {"most": MAX_QUERY_LENGTH},
        )
    return cleaned


def checked_locale(portal: Portal, locale: str | None) -> str:
    if locale is None:
        return portal.default_locale
    if locale not in portal.all_locales:
        offered = ", ".join(portal.all_locales)
        message = gettext("This help center is offered in %(offered)s: search in one of those.")
        raise QueryRefused("unknown_locale", message % {"offered": offered})
    return locale
