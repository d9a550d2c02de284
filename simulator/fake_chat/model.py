"""The fake's "model": deterministic, and honest about what it was given.

It reads the articles in the system message, each a block that starts with its title and link:

    Article: Reset your password
    Link: https://help.example.com/help/acme/en/articles/reset-your-password/
    Open Settings, choose Security, then Reset password. We email you a link.

and answers the last user message from the one article whose title and text share the most words
with it (at least `min_overlap`; ties go to the earlier article, as the prompt lists the best
first): its first two sentences, then its Link line. Nothing shares enough, or no article came:
it answers exactly NOT_COVERED. It knows nothing else, so anything in its answer came from the
prompt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .api import text_of

NOT_COVERED = "NOT_COVERED"
SENTENCES_QUOTED = 2
WORD = re.compile(r"\w+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Words too common to say whether an article is about the question.
COMMON_WORDS = (
    "the and for are but not you your yours can could would should will what when where which who "
    "why how this that these those with from into onto about have has had was were been being does "
    "did doing get got any all our ours its there their them they then than just also please hello "
    "thanks thank want need like know let"
)
STOP_WORDS = frozenset(COMMON_WORDS.split())


@dataclass(frozen=True)
class Article:
    title: str
    link: str
    text: str


def answer(messages: list[dict[str, Any]], *, min_overlap: int = 1, cite_links: bool = True) -> str:
    """What the model says to `messages` (already validated by the API)."""
    system = "\n".join(
        text_of(m.get("content")) for m in messages if m.get("role") in ("system", "developer")
    )
    questions = [text_of(m.get("content")) for m in messages if m.get("role") == "user"]
    articles = articles_in(system)
    if not questions or not articles:
        return NOT_COVERED
    asked = words(questions[-1])
    overlap = [len(asked & words(f"{article.title} {article.text}")) for article in articles]
    best = max(range(len(articles)), key=lambda index: (overlap[index], -index))
    if overlap[best] < max(min_overlap, 1):
        return NOT_COVERED
    article = articles[best]
    quoted = " ".join(SENTENCE_END.split(article.text.strip())[:SENTENCES_QUOTED])
    return f"{quoted}\n\nLink: {article.link}" if cite_links else quoted


def articles_in(system: str) -> list[Article]:
    """The "Article:" blocks of a system message, in order."""
    articles: list[Article] = []
    lines = system.splitlines()
    for number, line in enumerate(lines):
        if not line.startswith("Article:"):
            continue
        link_line = lines[number + 1] if number + 1 < len(lines) else ""
        body: list[str] = []
        for following in lines[number + 2 :]:
            if following.startswith("Article:"):
                break
            body.append(following)
        link = link_line.removeprefix("Link:").strip() if link_line.startswith("Link:") else ""
        articles.append(Article(line.removeprefix("Article:").strip(), link, "\n".join(body).strip()))
    return articles


def words(text: str) -> set[str]:
    """The words that carry meaning, lower-cased, a plural "s" dropped ("orders" meets "order")."""
    found = {word.lower() for word in WORD.findall(text)}
    return {_stem(word) for word in found if (len(word) > 2 or word.isdigit()) and word not in STOP_WORDS}


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word
