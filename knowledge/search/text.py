"""Text: what Postgres says about the words of a query and of the articles, and the SQLite stand-in.

Postgres (knowledge/migrations/0002_search.py): each article stores a tsvector (title weighted A,
the questions it answers B, description C, body D; accents folded by unaccent, words stemmed by the
locale's configuration). A search asks Postgres, in one statement, for the shelf's stamp (so the
vector index knows whether it is current) and the query's lexemes in the same configuration; the
lexicon (lexicon.py) ranks the articles from their tsvectors in memory. When those words match
fewer than FEW articles, TRIGRAMS finds words typed wrong: word_similarity of each query word
against titles and questions, through GIN trigram indexes.

FULL_TEXT is Postgres ranking on its own, the engine's lexical-only mode, which the benchmark
measures as the Postgres-alone baseline; it is slower than the lexicon (tens of milliseconds on
5,000 articles). Its score is two parts: the query's words (OR-ed lexemes, ts_rank times rarity,
through the GIN index on the tsvector), as a share of the best candidate's, plus RESEMBLANCE_WEIGHT
times the candidate's resemblance: pg_trgm's similarity() of the whole query to its title or its
closest question. The second part is what stemming misses ("verification" and "verify" share the
trigrams of "verif") and rewards wording close to a question an article lists. The weight was
chosen on the benchmark's validation questions (bench/kb.py), never its test questions: hit@3 of
Postgres alone with 5 questions per article went from 0.828 to 0.851 there.

SQLite (the embedded mode) has no tsvector: `terms()` cuts text into folded, crudely stemmed words
in Python, for the lexicon and for the query alike; there is no typo tolerance there.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.db import connection

# Configurations the migration creates, by language; any other locale uses parley_simple.
STEMMED_LANGUAGES = {"en", "fr", "de", "es", "pt", "it", "nl"}
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D body, C description, B questions, A title (ts_rank's order)
RANK_NORMALISATION = 1  # divide by 1 + log(length): long articles do not win by length alone
FEW = 3  # fewer full-text matches than this: try trigrams too
MAX_TERMS = 24  # query words that count (a 500-character query has about 80)
MIN_FUZZY_WORD = 4  # shorter words are too ambiguous to match by trigrams
CANDIDATES = 50


def config_for(locale: str) -> str:
    language = locale.split("-")[0].lower()
    return f"parley_{language}" if language in STEMMED_LANGUAGES else "parley_simple"


@dataclass(frozen=True)
class Lexical:
    """Lexical scores of the best candidates (article id -> score, higher is better), and the
    stamp of the shelf they came from."""

    scores: dict[int, float]
    stamp: tuple
    fuzzy: bool = False  # the trigram pass ran


SHELF_STAMP = """
    SELECT count(*) AS articles, max(updated_at) AS changed FROM knowledge_article
    WHERE portal_id = %(portal)s AND locale = %(locale)s
"""
# The stamp reads the (portal, locale, updated_at) index only; the query's lexemes come with it.
SHELF_STATE = f"""
    SELECT stamp.articles, stamp.changed, (
        SELECT coalesce(array_agg(lexeme), '{{}}') FROM unnest(to_tsvector(%(config)s::regconfig, %(query)s))
    ) FROM ({SHELF_STAMP}) AS stamp
"""  # noqa: S608 (formatted from constants; the query is a bound parameter)

FULL_TEXT = f"""
WITH shelf AS ({SHELF_STAMP}),
terms AS (
    -- Each query lexeme as a one-word tsquery of its own, quoted so no character is an operator.
    SELECT lexeme, ('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''')::tsquery AS probe
    FROM unnest(to_tsvector(%(config)s::regconfig, %(query)s))
    LIMIT {MAX_TERMS}
),
matches AS (
    SELECT a.id, t.lexeme, ts_rank('{RANK_WEIGHTS}', a.search_vector, t.probe, {RANK_NORMALISATION}) AS rank
    FROM terms t JOIN knowledge_article a ON a.search_vector @@ t.probe
    WHERE a.portal_id = %(portal)s AND a.locale = %(locale)s AND a.status = ANY(%(statuses)s)
),
scored AS (
    SELECT m.id, sum(m.rank * ln(1 + (shelf.articles - r.articles + 0.5) / (r.articles + 0.5))) AS score
    FROM matches m
    JOIN (SELECT lexeme, count(*) AS articles FROM matches GROUP BY lexeme) r USING (lexeme)
    CROSS JOIN shelf
    GROUP BY m.id ORDER BY score DESC LIMIT {CANDIDATES}
)
SELECT shelf.articles, shelf.changed, scored.id, scored.score, (
    SELECT greatest(
        similarity(parley_fold(%(query)s), parley_fold(a.title)),
        (SELECT max(similarity(parley_fold(%(query)s), parley_fold(q.text)))
         FROM knowledge_articlequestion q WHERE q.article_id = a.id)
    ) FROM knowledge_article a WHERE a.id = scored.id
) AS resemblance
FROM shelf LEFT JOIN scored ON true
"""  # noqa: S608 (formatted from constants; the query is a bound parameter)

TRIGRAMS = f"""
WITH resembling AS (
    SELECT a.id, w.word, word_similarity(w.word, parley_fold(a.title)) AS similarity
    FROM unnest(%(words)s::text[]) AS w(word) JOIN knowledge_article a ON w.word <%% parley_fold(a.title)
    WHERE a.portal_id = %(portal)s AND a.locale = %(locale)s AND a.status = ANY(%(statuses)s)
    UNION ALL
    SELECT a.id, w.word, word_similarity(w.word, parley_fold(q.text))
    FROM unnest(%(words)s::text[]) AS w(word)
    JOIN knowledge_articlequestion q ON w.word <%% parley_fold(q.text)
    JOIN knowledge_article a ON a.id = q.article_id
    WHERE a.portal_id = %(portal)s AND a.locale = %(locale)s AND a.status = ANY(%(statuses)s)
)
SELECT id, sum(best) AS score FROM (
    SELECT id, word, max(similarity) AS best FROM resembling GROUP BY id, word
) best_per_word GROUP BY id ORDER BY score DESC LIMIT {CANDIDATES}
"""  # noqa: S608 (formatted from constants; the words are a bound parameter)

FUZZY_WEIGHT = 0.5  # a word matched by trigrams counts half a full-text rarity point per similarity
# Postgres alone: a whole-query resemblance of 1 is worth RESEMBLANCE_WEIGHT times the best
# candidate's word score (tuned on validation questions: 1.5 -> 0.849, 2 -> 0.850, 2.5 -> 0.851,
# 3 -> 0.852; the gain flattens, so the middle of the plateau).
RESEMBLANCE_WEIGHT = 2.5


def postgres_scores(*, portal_id: int, locale: str, statuses: list[str], query: str) -> Lexical:
    """Postgres alone: FULL_TEXT's candidates, the share of the best one's word score plus their
    resemblance; words typed wrong through TRIGRAMS when FULL_TEXT found fewer than FEW articles."""
    params = {"portal": portal_id, "locale": locale, "statuses": statuses}
    with connection.cursor() as cursor:
        cursor.execute(FULL_TEXT, {**params, "config": config_for(locale), "query": query})
        rows = cursor.fetchall()
    words = {article_id: float(score) for _, _, article_id, score, _ in rows if article_id is not None}
    resemblance = {
        article_id: float(near or 0) for _, _, article_id, _, near in rows if article_id is not None
    }
    fuzzy = len(words) < FEW
    if fuzzy:
        for article_id, similarity in trigram_scores(
            portal_id=portal_id, locale=locale, statuses=statuses, query=query
        ).items():
            words[article_id] = words.get(article_id, 0.0) + FUZZY_WEIGHT * similarity
    best = max(words.values(), default=1.0) or 1.0
    scores = {
        article_id: score / best + RESEMBLANCE_WEIGHT * resemblance.get(article_id, 0.0)
        for article_id, score in words.items()
    }
    return Lexical(scores=scores, stamp=(rows[0][0], rows[0][1]), fuzzy=fuzzy)


def shelf_stamp(*, portal_id: int, locale: str) -> tuple:
    """What changes whenever an article of the shelf is added, edited, indexed or deleted."""
    with connection.cursor() as cursor:
        cursor.execute(SHELF_STAMP, {"portal": portal_id, "locale": locale})
        return tuple(cursor.fetchone())


def shelf_state(*, portal_id: int, locale: str, query: str) -> tuple[tuple, list[str]]:
    """(the shelf's stamp, the query's lexemes) in one statement (Postgres)."""
    with connection.cursor() as cursor:
        cursor.execute(
            SHELF_STATE, {"portal": portal_id, "locale": locale, "config": config_for(locale), "query": query}
        )
        articles, changed, lexemes = cursor.fetchone()
    return (articles, changed), list(lexemes)


def trigram_scores(*, portal_id: int, locale: str, statuses: list[str], query: str) -> dict[int, float]:
    """Article id -> the sum over the query's longer words of their best word_similarity in the
    title or a question (only words that reach pg_trgm's threshold, 0.6 by default)."""
    words = fuzzy_words(query)
    if not words:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            TRIGRAMS, {"portal": portal_id, "locale": locale, "statuses": statuses, "words": words}
        )
        return {article_id: float(similarity) for article_id, similarity in cursor.fetchall()}


# --- words, for the trigram pass and for SQLite --------------------------------------------------

WORD = re.compile(r"[^\W_]+")
# Postgres' English stop words, the ones that matter in questions; stemming below is deliberately
# crude (plural and verb endings), enough to match "cards" and "card" in the embedded mode.
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "up",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
    }
)


def fold(text: str) -> str:
    """Lower case without accents: "Café" -> "cafe"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    return [word for word in WORD.findall(fold(text)) if word not in STOP_WORDS]


def fuzzy_words(query: str) -> list[str]:
    """The query's distinct words long enough to be matched by trigrams, at most MAX_TERMS."""
    chosen = dict.fromkeys(word for word in words(query) if len(word) >= MIN_FUZZY_WORD)
    return list(chosen)[:MAX_TERMS]


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    return [stem(word) for word in words(text)]
