"""The unanswered questions, grouped by meaning: what the self-service report shows a manager as
"articles to write". Pure: it reads questions given to it (metrics.unanswered_questions fetches
them) and the knowledge base's embedding model."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from knowledge.search import MAX_QUERY_LENGTH, embedding

from .models import Episode

Reason = Episode.HandoffReason

# Two questions share a group when the cosine of one to the group's centroid (WordLlama vectors,
# the knowledge base's own model) is at least this. Measured on banking77's train set: 30 draws
# of 10 intents x 20 questions (what a month of unanswered questions looks like), greedy by
# centroid. Thresholds 0.50 / 0.55 / 0.60 / 0.65 gave groups 89% / 92% / 95% / 97% one intent,
# and put 89% / 82% / 74% / 65% of questions in a group of three or more (pairwise F1 0.62 /
# 0.57 / 0.50 / 0.42). 0.55 is the lowest whose groups are over 90% one topic: a suggestion that
# mixes two topics misleads, one topic split in two only repeats. banking77's intents are far
# closer to each other (card arrival / card delivery estimate) than a help desk's gaps usually are.
GROUPING_THRESHOLD = 0.55
EXAMPLES = 5


@dataclass(frozen=True)
class AskedQuestion:
    """One unanswered question as the grouping reads it."""

    text: str
    asked_at: datetime
    reason: str = Reason.NO_ANSWER


@dataclass(frozen=True)
class QuestionGroup:
    size: int  # episodes
    representative: str  # the wording nearest the group's centre
    examples: tuple[str, ...]  # other wordings, most asked first (at most EXAMPLES)
    latest: datetime  # when it was last asked
    no_answer: int  # episodes handed off because no article answered
    not_solved: int  # because the customer said the answer did not solve it


def group_questions(
    asked: list[AskedQuestion], *, threshold: float = GROUPING_THRESHOLD
) -> list[QuestionGroup]:
    """Group questions by meaning, greedily: identical wordings (case and spacing aside) first
    become one, then each wording, most asked first, joins the group whose centroid (the mean of
    its questions' vectors, repeats counted) is nearest, if the cosine reaches `threshold`, else
    starts a group. A wording the model knows no word of (a zero vector) groups only with its
    own repeats. Biggest group first, then the most recently asked."""
    wordings = _wordings(asked)
    if not wordings:
        return []
    vectors = embedding.embed([wording.text[:MAX_QUERY_LENGTH] for wording in wordings])
    weights = np.array([len(wording.asked) for wording in wordings], dtype=np.float32)
    sums = np.zeros_like(vectors)
    centroids = np.zeros_like(vectors)
    members: list[list[int]] = []
    for index, vector in enumerate(vectors):
        group = _nearest_group(centroids[: len(members)], vector, threshold)
        if group is None:
            group = len(members)
            members.append([])
        members[group].append(index)
        sums[group] += weights[index] * vector
        centroids[group] = embedding.normalised(sums[group : group + 1])[0]
    groups = [
        _group([wordings[i] for i in rows], vectors[rows] @ centroids[g]) for g, rows in enumerate(members)
    ]
    return sorted(groups, key=lambda group: (-group.size, -group.latest.timestamp()))


@dataclass
class _Wording:
    text: str
    asked: list[AskedQuestion]


def _wordings(asked: list[AskedQuestion]) -> list[_Wording]:
    """Distinct wordings (case and spacing aside), most asked first, then most recent; each keeps
    its most recent spelling."""
    by_key: dict[str, _Wording] = {}
    for question in sorted(asked, key=lambda question: question.asked_at, reverse=True):
        text = " ".join(question.text.split())
        if text:
            by_key.setdefault(text.casefold(), _Wording(text, [])).asked.append(question)
    return sorted(
        by_key.values(), key=lambda wording: (-len(wording.asked), -wording.asked[0].asked_at.timestamp())
    )


def _nearest_group(centroids: np.ndarray, vector: np.ndarray, threshold: float) -> int | None:
    if not len(centroids) or not vector.any():
        return None
    cosines = centroids @ vector
    best = int(np.argmax(cosines))
    return best if cosines[best] >= threshold else None


def _group(wordings: list[_Wording], centrality: np.ndarray) -> QuestionGroup:
    """`wordings` in the order they joined (most asked first); `centrality` their cosines to the
    group's centroid."""
    central = int(np.argmax(centrality))
    asked = [question for wording in wordings for question in wording.asked]
    reasons = Counter(question.reason for question in asked)
    return QuestionGroup(
        size=len(asked),
        representative=wordings[central].text,
        examples=tuple(wording.text for n, wording in enumerate(wordings) if n != central)[:EXAMPLES],
        latest=max(question.asked_at for question in asked),
        no_answer=reasons[Reason.NO_ANSWER] + reasons[Reason.NOT_COVERED],
        not_solved=reasons[Reason.NOT_SOLVED],
    )
