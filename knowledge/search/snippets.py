"""Plain-text snippets for search results: the description, else the start of the body with its
Markdown taken away (no HTML ever: the caller escapes what it shows)."""

from ..markdown import plain_text

SNIPPET_LENGTH = 200


def snippet(description: str, body: str) -> str:
    """The description, else the body's start; cut at a word with an ellipsis past SNIPPET_LENGTH."""
    return plain_text(description, limit=SNIPPET_LENGTH) or plain_text(body, limit=SNIPPET_LENGTH)
