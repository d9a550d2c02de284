"""The lexical half of the vector index: for each word of a shelf, the articles that have it and
how strongly, scored in memory.

On Postgres the words are the lexemes of the articles' stored tsvectors (stemmed, accents folded,
weighted title A, questions B, description C, body D by knowledge/indexing.py), parsed once per
rebuild; a query's lexemes come from the same configuration in the statement that reads the
shelf's stamp. So Postgres decides what a word is, and the ranking costs microseconds instead of a
ts_rank per matching article (thousands of rows for "card" in a large help center: tens of
milliseconds; docs/benchmarks.md). On SQLite the words come from text.terms(), a crude stand-in.

An article's score is BM25's shape: the sum over the query's words of the word's rarity among the
shelf's articles times its weight in the article, the latter exactly Postgres' ts_rank of the
one word (field weights, repeated occurrences counting less and less, divided by log length).
"""

import math
import re
from collections import defaultdict

import numpy as np

from . import text

# ts_rank's default weights by label; text.RANK_WEIGHTS spells the same ones for SQL.
LABEL_WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}
FIELD_LABELS = ("A", "B", "C", "D")  # title, questions, description, body
TSVECTOR_ENTRY = re.compile(r"'((?:[^']|'')*)'(?::([0-9A-D,]+))?")
POSITION = re.compile(r"\d+([A-D]?)")


def word_rank(weights: list[float], length: int) -> float:
    """Postgres' ts_rank of a one-word query (calc_rank_or), length-normalised (option 1): the
    occurrences' weights in position order, the document's count of positions."""
    total, best, best_at = 0.0, -1.0, 0
    for j, weight in enumerate(weights):
        total += weight / ((j + 1) * (j + 1))
        if weight > best:
            best, best_at = weight, j
    rank = (best + total - best / ((best_at + 1) * (best_at + 1))) / (math.pi**2 / 6)
    return rank / (math.log(length + 1) / math.log(2.0)) if length else rank


class Lexicon:
    """Postings (word -> article rows, their word_rank) of one shelf."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._building: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def add_tsvector(self, row: int, document: str | None) -> None:
        """An article's stored tsvector, in Postgres' text form ('card':3B,7B 'pin':1A)."""
        occurrences = []
        for lexeme, positions in TSVECTOR_ENTRY.findall(document or ""):
            labels = [match.group(1) or "D" for match in POSITION.finditer(positions)] or ["D"]
            occurrences.append((lexeme.replace("''", "'").replace("\\\\", "\\"), labels))
        self._add(row, occurrences)

    def add_fields(self, row: int, fields: tuple[str, str, str, str]) -> None:
        """An article's title, questions, description and body, cut into words in Python (SQLite)."""
        labels: dict[str, list[str]] = defaultdict(list)
        for field, label in zip(fields, FIELD_LABELS, strict=True):
            for term in text.terms(field):
                labels[term].append(label)
        self._add(row, list(labels.items()))

    def _add(self, row: int, occurrences: list[tuple[str, list[str]]]) -> None:
        length = sum(len(labels) for _, labels in occurrences)
        for word, labels in occurrences:
            rows, ranks = self._building[word]
            rows.append(row)
            ranks.append(word_rank([LABEL_WEIGHTS[label] for label in labels], length))

    def freeze(self) -> "Lexicon":
        self.postings = {
            word: (np.array(rows, dtype=np.int64), np.array(ranks, dtype=np.float32))
            for word, (rows, ranks) in self._building.items()
        }
        self._building.clear()
        return self

    def scores(self, words: list[str]) -> np.ndarray:
        """One score per shelf row (0: no word in common) for the query's words."""
        scores = np.zeros(self.size, dtype=np.float32)
        for word in dict.fromkeys(words[: text.MAX_TERMS]):
            posting = self.postings.get(word)
            if posting is None:
                continue
            rows, ranks = posting
            rarity = math.log(1 + (self.size - len(rows) + 0.5) / (len(rows) + 0.5))
            scores[rows] += ranks * rarity
        return scores
