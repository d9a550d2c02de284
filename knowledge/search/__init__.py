"""Knowledge-base search: the one door the help center, the widget and the answer bot call.

    search_articles(portal=..., query=..., locale=None, limit=5, include_drafts=False) -> [SearchHit]
    answer_threshold() -> float  # the bot answers when the best hit's score reaches it

How it works and why: docs/knowledge.md, "Search". Modules: engine (the entry points), text
(Postgres full text and trigrams; Python on SQLite), vectors (the in-process vector index),
embedding (the model), ranking (fusion and confidence), snippets.
"""

from .engine import MAX_QUERY_LENGTH, QueryRefused, SearchHit, answer_threshold, search_articles

__all__ = ["MAX_QUERY_LENGTH", "QueryRefused", "SearchHit", "answer_threshold", "search_articles"]
