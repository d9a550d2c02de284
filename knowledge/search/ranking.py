"""How lexical and semantic evidence become one ranking and one confidence.

For every article of the shelf that the search may return, `signals` measures:
- question: the best cosine between the query and one of the article's questions (customers ask
  the same thing in many words; the nearest wording is the strongest evidence);
- centroid: the cosine to the mean of its questions (what they have in common: steadier than one);
- title: the cosine to the title alone; article: to title, description and start of the body;
- lexical: the lexicon's score (plus trigram matches) divided by the query's best, so 1.0 for the
  best lexical match.
An article without questions takes its article cosine for the two question signals.

`fused` is the weighted sum; the weights were chosen on a validation split of banking77's train set
(bench/kb_data.py), never on the questions the benchmark asks; title and article vectors scored
nothing more there, so they weigh 0 but stay measurable. The score a hit carries adds the
margin to the next article: an article far ahead of the rest is a surer answer than one in a
crowd at the same fused value, which is what the bot's threshold needs (docs/knowledge.md, Search).
"""

from dataclasses import dataclass

import numpy as np

from .vectors import Shelf


@dataclass(frozen=True)
class Weights:
    question: float = 1.0
    centroid: float = 1.0
    title: float = 0.0
    article: float = 0.0
    lexical: float = 0.3
    margin: float = 1.0  # the score is fused + margin x (fused - the best other article's fused)

    @property
    def semantic(self) -> bool:
        return any((self.question, self.centroid, self.title, self.article))


SHIPPED = Weights()
LEXICAL_ONLY = Weights(question=0.0, centroid=0.0, lexical=1.0)  # what Postgres alone finds
SEMANTIC_ONLY = Weights(lexical=0.0)  # the vectors alone


@dataclass(frozen=True)
class Signals:
    rows: np.ndarray  # the shelf rows the search may return
    question: np.ndarray
    centroid: np.ndarray
    title: np.ndarray
    article: np.ndarray
    lexical: np.ndarray


def signals(
    shelf: Shelf, query_vector: np.ndarray | None, lexical: np.ndarray, allowed: np.ndarray, weights: Weights
) -> Signals:
    """The evidence for each allowed row (a signal the weights ignore is left at zero); `lexical`
    holds a score per shelf row and `query_vector` is None when no semantic signal counts."""
    rows = np.flatnonzero(allowed)
    top = lexical[rows].max(initial=0.0)
    lexical = lexical[rows] / top if top > 0 else lexical[rows]
    if query_vector is None or not len(rows):
        zeros = np.zeros(len(rows), dtype=np.float32)
        return Signals(rows, zeros, zeros, zeros, zeros, lexical)
    # Whole matrices times the query, then the rows: indexing the matrices first would copy them.
    article = cosines(shelf.article_vectors, query_vector)[rows]
    question = article.copy()
    if len(shelf.question_texts):
        asked = np.flatnonzero(shelf.has_questions)  # questions are stored grouped by row, in order
        best = np.full(shelf.size, -np.inf, dtype=np.float32)
        best[asked] = np.maximum.reduceat(
            cosines(shelf.question_vectors, query_vector), shelf.question_bounds[asked]
        )
        has = shelf.has_questions[rows]
        question[has] = best[rows][has]
    has = shelf.has_questions[rows]
    centroid = (
        np.where(has, cosines(shelf.centroids, query_vector)[rows], article) if weights.centroid else article
    )
    title = cosines(shelf.title_vectors, query_vector)[rows] if weights.title else np.zeros_like(article)
    return Signals(rows, question, centroid, title, article, lexical)


def nearest_question(shelf: Shelf, row: int, query_vector: np.ndarray | None) -> str:
    """The row's question nearest the query ("" without questions or without a query vector)."""
    start, end = shelf.question_bounds[row], shelf.question_bounds[row + 1]
    if query_vector is None or start == end:
        return ""
    return shelf.question_texts[
        start + int(np.argmax(cosines(shelf.question_vectors[start:end], query_vector)))
    ]


def cosines(vectors: np.ndarray, query_vector: np.ndarray) -> np.ndarray:
    """Each row's dot product with the query (rows and query are unit vectors). einsum's own loop,
    not BLAS: OpenBLAS spreads one product over threads, which on a busy server made a 25,000-row
    product five times slower than this single core (docs/knowledge.md, Search)."""
    return np.einsum("ij,j->i", vectors, query_vector)


def fused(evidence: Signals, weights: Weights) -> np.ndarray:
    return (
        weights.question * evidence.question
        + weights.centroid * evidence.centroid
        + weights.title * evidence.title
        + weights.article * evidence.article
        + weights.lexical * evidence.lexical
    )


def confidences(values: np.ndarray, order: np.ndarray, weights: Weights) -> np.ndarray:
    """Scores for the rows in `order` (best first): fused plus `margin` times the distance to the
    best other row. Order is kept: the first gains, every other loses the same amount."""
    ranked = values[order]
    if len(values) < 2:
        return ranked
    best_other = np.full(len(order), ranked[0])
    best_other[0] = np.partition(values, -2)[-2]
    return ranked + weights.margin * (ranked - best_other)
