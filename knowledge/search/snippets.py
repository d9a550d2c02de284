"""Plain-text snippets for search results: the description, else the start of the body with its
Markdown taken away (no HTML ever: the caller escapes what it shows)."""

from markdown_it import MarkdownIt

SNIPPET_LENGTH = 200
_markdown = MarkdownIt("commonmark")
_BREAKS = {"softbreak", "hardbreak"}
_WORDS = {"text", "code_inline"}


def plain_text(markdown: str) -> str:
    """The words a reader sees, on one line: no markup, no raw HTML, no link targets."""
    parts = []
    for token in _markdown.parse(markdown):
        if token.type == "inline":
            parts.append(
                "".join(
                    child.content if child.type in _WORDS else " " if child.type in _BREAKS else ""
                    for child in token.children or []
                )
            )
        elif token.type in ("code_block", "fence"):
            parts.append(token.content)
    return " ".join(" ".join(parts).split())


def snippet(description: str, body: str) -> str:
    """The description, else the body's start; cut at a word with an ellipsis past SNIPPET_LENGTH."""
    words = " ".join(description.split()) or plain_text(body[: SNIPPET_LENGTH * 20])
    if len(words) <= SNIPPET_LENGTH:
        return words
    cut = words[: SNIPPET_LENGTH - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:") + "…"
