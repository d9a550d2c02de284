"""The in-process index: per portal and locale (a "shelf"), numpy matrices of its articles' and
questions' stored vectors and the lexicon of their words, built on first use and rebuilt when the
shelf's stamp moves.

The stamp (article count, latest `updated_at`; knowledge/indexing.py touches `updated_at` whenever
it re-indexes, questions included) is read by every search in the statement it runs anyway
(text.shelf_state), so a change made in any process is seen by every process on its next search,
with no message to lose. A rebuild is two statements and takes well under a second for 5,000
articles (docs/benchmarks.md). Archived articles are left out; drafts are kept and masked unless a
search asks for them.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models.expressions import RawSQL

from knowledge.models import Article, ArticleQuestion

from . import embedding
from .lexicon import Lexicon

MAX_SHELVES = 256  # shelves kept per process (least recently used goes first)
BODY_START = 600  # characters of the body an article's own vector reads


@dataclass(frozen=True)
class Shelf:
    """One portal and locale's articles as matrices; row i of every article matrix is article_ids[i]."""

    stamp: tuple
    article_ids: np.ndarray  # int64 (A,)
    published: np.ndarray  # bool (A,)
    article_vectors: np.ndarray  # (A, D) title, description and the start of the body
    title_vectors: np.ndarray  # (A, D)
    centroids: np.ndarray  # (A, D) the mean of the article's questions, normalised; 0 without any
    has_questions: np.ndarray  # bool (A,)
    question_vectors: np.ndarray  # (Q, D), grouped by article row, in row order
    question_bounds: np.ndarray  # int (A + 1,): row i's questions are [bounds[i], bounds[i + 1])
    question_texts: list[str]
    lexicon: Lexicon
    row_of: dict[int, int]  # article id -> row

    @property
    def size(self) -> int:
        return len(self.article_ids)


def article_text(title: str, description: str, body: str) -> str:
    """What an article's own vector is computed from (knowledge/indexing.py and a re-embed here)."""
    return "\n".join(part for part in (title, description, body[:BODY_START]) if part)


_lock = threading.Lock()
_shelves: OrderedDict[tuple[int, str], Shelf] = OrderedDict()
_title_vectors: dict[str, np.ndarray] = {}  # title -> vector: a rebuild embeds only new titles
MAX_TITLES = 200_000  # past this the memo starts again (about 200 MB)


def shelf(*, portal_id: int, locale: str, stamp: tuple) -> Shelf:
    """The shelf's index as of `stamp`, rebuilt when the one held was built at another stamp."""
    key = (portal_id, locale)
    with _lock:
        held = _shelves.get(key)
        if held is not None and held.stamp == stamp:
            _shelves.move_to_end(key)
            return held
    built = _build(portal_id=portal_id, locale=locale, stamp=stamp)
    with _lock:
        _shelves[key] = built
        _shelves.move_to_end(key)
        while len(_shelves) > MAX_SHELVES:
            _shelves.popitem(last=False)
    return built


def forget() -> None:
    """Drop every shelf (tests that change the model or the data behind the stamp's back)."""
    with _lock:
        _shelves.clear()


def _build(*, portal_id: int, locale: str, stamp: tuple) -> Shelf:
    on_postgres = connection.vendor == "postgresql"
    fields = ["pk", "status", "title", "embedding", "embedding_model"]
    articles = Article.objects.filter(portal_id=portal_id, locale=locale).exclude(
        status=Article.Status.ARCHIVED
    )
    if on_postgres:
        articles = articles.annotate(document=RawSQL('"knowledge_article"."search_vector"::text', ()))
    articles = list(
        articles.order_by("pk").values(*fields, *(["document"] if on_postgres else ["description", "body"]))
    )
    questions = list(
        ArticleQuestion.objects.filter(article__portal_id=portal_id, article__locale=locale)
        .exclude(article__status=Article.Status.ARCHIVED)
        .order_by("article_id", "pk")
        .values_list("article_id", "text", "embedding", "embedding_model")
    )
    row_of = {article["pk"]: row for row, article in enumerate(articles)}
    article_vectors = _stored_or_embedded(
        [(a["embedding"], a["embedding_model"]) for a in articles],
        lambda rows: _article_texts(rows, articles),
    )
    question_vectors = _stored_or_embedded(
        [(vector, model) for _, _, vector, model in questions],
        lambda rows: [questions[row][1] for row in rows],
    )
    question_rows = np.array([row_of[article_id] for article_id, *_ in questions], dtype=np.int64)
    centroids = np.zeros_like(article_vectors)
    np.add.at(centroids, question_rows, question_vectors)
    bounds = np.zeros(len(articles) + 1, dtype=np.int64)
    bounds[1:] = np.cumsum(np.bincount(question_rows, minlength=len(articles)))
    return Shelf(
        stamp=stamp,
        article_ids=np.array([a["pk"] for a in articles], dtype=np.int64),
        published=np.array([a["status"] == Article.Status.PUBLISHED for a in articles], dtype=bool),
        article_vectors=article_vectors,
        title_vectors=_titles([a["title"] for a in articles]),
        centroids=embedding.normalised(centroids),
        has_questions=bounds[1:] > bounds[:-1],
        question_vectors=question_vectors,
        question_bounds=bounds,
        question_texts=[question for _, question, *_ in questions],
        lexicon=_lexicon(articles, questions, row_of, on_postgres),
        row_of=row_of,
    )


def _lexicon(
    articles: list[dict], questions: list[tuple], row_of: dict[int, int], on_postgres: bool
) -> Lexicon:
    lexicon = Lexicon(len(articles))
    if on_postgres:
        for row, article in enumerate(articles):
            lexicon.add_tsvector(row, article["document"])
        return lexicon.freeze()
    asked: list[list[str]] = [[] for _ in articles]
    for article_id, question, *_ in questions:
        asked[row_of[article_id]].append(question)
    for row, (article, its_questions) in enumerate(zip(articles, asked, strict=True)):
        lexicon.add_fields(
            row, (article["title"], "\n".join(its_questions), article["description"], article["body"])
        )
    return lexicon.freeze()


def _stored_or_embedded(stored: list[tuple[bytes | None, str]], texts_of) -> np.ndarray:
    """The stored vectors as one matrix; rows never indexed, or indexed by another model, are
    embedded here in memory (knowledge/indexing.py stores them at the next edit)."""
    usable = [
        vector is not None and model == embedding.MODEL_NAME and len(vector) == embedding.DIMENSIONS * 4
        for vector, model in stored
    ]
    matrix = np.zeros((len(stored), embedding.DIMENSIONS), dtype=embedding.DTYPE)
    if any(usable):
        matrix[usable] = embedding.from_bytes(
            [vector for (vector, _), ok in zip(stored, usable, strict=True) if ok]
        )
    missing = [row for row, ok in enumerate(usable) if not ok]
    if missing:
        matrix[missing] = embedding.embed(texts_of(missing))
    return matrix


def _article_texts(rows: list[int], articles: list[dict]) -> list[str]:
    full = {
        a.pk: a
        for a in Article.objects.filter(pk__in=[articles[row]["pk"] for row in rows]).only(
            "title", "description", "body"
        )
    }
    return [
        article_text(full[pk].title, full[pk].description, full[pk].body)
        for pk in (articles[row]["pk"] for row in rows)
    ]


def _titles(titles: list[str]) -> np.ndarray:
    new = [title for title in dict.fromkeys(titles) if title not in _title_vectors]
    if len(_title_vectors) + len(new) > MAX_TITLES:
        _title_vectors.clear()
        new = list(dict.fromkeys(titles))
    if new:
        for title, vector in zip(new, embedding.embed(new), strict=True):
            _title_vectors[title] = vector
    if not titles:
        return np.zeros((0, embedding.DIMENSIONS), dtype=embedding.DTYPE)
    return np.stack([_title_vectors[title] for title in titles])
