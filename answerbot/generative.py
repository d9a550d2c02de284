"""Optional generated answers from any OpenAI-compatible chat endpoint (POST {base}/chat/completions).

The model sees the retrieved articles only and is told to answer from them alone, with their
links, or to answer exactly NOT_COVERED; Parley then hands off. Off unless
PARLEY_GENERATIVE_BASE_URL is set and the inbox's bot turns it on. Any failure (network, timeout,
a non-2xx answer, a malformed body, an answer cut short or carrying a link the articles do not
have) raises GenerativeUnavailable, and the bot quotes the articles instead: a customer never
waits on a model that is down, nor reads what it made up. Each failure is logged as a warning,
so a wrong key shows in the logs rather than as quietly quoted answers.
"""

import logging
import re
from collections.abc import Sequence
from typing import Any

import httpx
from django.conf import settings

from knowledge.links import article_url
from knowledge.markdown import plain_text
from knowledge.search import SearchHit

logger = logging.getLogger(__name__)

NOT_COVERED = "NOT_COVERED"
ARTICLE_CHARS = 4000  # of each article's text, so a long one cannot crowd out the others
SYSTEM_PROMPT = (
    "You answer a customer's question for a support team, using ONLY the help-center articles "
    "given below. Answer briefly (at most 120 words), in the customer's language, and end with "
    "the link of each article you used. If the articles do not answer the question, reply with "
    f"exactly {NOT_COVERED} and nothing else. Never invent facts, steps, prices or links."
)
# Cut short (max tokens) or withheld (a content filter): not an answer to show.
UNFINISHED = frozenset({"length", "content_filter"})
URL = re.compile(r"https?://[^\s<>()\[\]\"'`]+")
URL_TRAILING = ".,;:!?*_"


class GenerativeUnavailable(Exception):
    """The model could not be asked or gave no usable answer."""


def generative_enabled() -> bool:
    return bool(settings.PARLEY_GENERATIVE_BASE_URL)


def write_answer(*, question: str, hits: Sequence[SearchHit]) -> str | None:
    """The model's answer to `question` from `hits`, with the link of every article it used; None
    when it says they do not cover it (or there are none). Raises GenerativeUnavailable."""
    if not hits:
        return None
    links = [article_url(hit.article) for hit in hits]
    articles = "\n\n".join(
        f"Article: {hit.article.title}\nLink: {link}\n{plain_text(hit.article.body, limit=ARTICLE_CHARS)}"
        for hit, link in zip(hits, links, strict=True)
    )
    system = f"{SYSTEM_PROMPT}\n\n{articles}"
    try:
        text = _ask(system=system, question=question)
        if NOT_COVERED in text:  # also "NOT_COVERED." and the like: never shown to a customer
            return None
        known = {url.rstrip("/") for url in _urls(system)}
        if invented := [url for url in _urls(text) if url.rstrip("/") not in known]:
            raise GenerativeUnavailable(f"The model gave a link the articles do not have: {invented[0]}")
    except GenerativeUnavailable as problem:
        logger.warning("Generated answer unavailable, quoting the articles instead: %s", problem)
        raise
    return _with_links(text, titles=[hit.article.title for hit in hits], links=links)


def _with_links(text: str, *, titles: Sequence[str], links: Sequence[str]) -> str:
    """`text` ending with the link of every article it used, named by title or by link; when it
    names none, the first (best) article's. Links already in the text are not repeated."""
    lowered = text.lower()
    used = [
        link
        for title, link in zip(titles, links, strict=True)
        if title.lower() in lowered or link.rstrip("/") in text
    ]
    missing = [link for link in used or links[:1] if link.rstrip("/") not in text]
    return "\n\n".join([text, "\n".join(missing)]) if missing else text


def _ask(*, system: str, question: str) -> str:
    """The text of the model's first choice. Raises GenerativeUnavailable."""
    request = {
        "model": settings.PARLEY_GENERATIVE_MODEL,
        "temperature": 0,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": question}],
    }
    key = settings.PARLEY_GENERATIVE_API_KEY
    # A local server (Ollama, llama.cpp) needs no key; an empty "Bearer " header is malformed.
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    url = f"{settings.PARLEY_GENERATIVE_BASE_URL.rstrip('/')}/chat/completions"
    try:
        response = httpx.post(
            url, json=request, headers=headers, timeout=settings.PARLEY_GENERATIVE_TIMEOUT_SECONDS
        )
    except httpx.HTTPError as error:
        raise GenerativeUnavailable(f"{type(error).__name__}: {error}") from error
    if not response.is_success:
        raise GenerativeUnavailable(f"HTTP {response.status_code}: {_error_of(response)}")
    try:
        choice = response.json()["choices"][0]
        text, finish_reason = choice["message"]["content"], choice.get("finish_reason")
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise GenerativeUnavailable(
            f"Malformed answer ({type(error).__name__}): {response.text[:200]}"
        ) from error
    if finish_reason in UNFINISHED:
        raise GenerativeUnavailable(f"The model's answer is unfinished (finish_reason {finish_reason}).")
    if not isinstance(text, str) or not text.strip():
        raise GenerativeUnavailable("The model answered with no text.")
    return text.strip()


def _error_of(response: httpx.Response) -> str:
    """The API's own words for a refusal ({"error": {"message", "code"}}), else the body's start."""
    try:
        error: Any = response.json()["error"]
        return f"{error.get('code') or error.get('type')}: {error['message']}"
    except (ValueError, KeyError, TypeError, AttributeError):
        return response.text[:200]


def _urls(text: str) -> list[str]:
    return [url.rstrip(URL_TRAILING) for url in URL.findall(text)]
