"""A mail's HTML made safe to show (the desk's frame, transcripts), and read as plain text.

Sanitised by nh3 (a maintained sanitiser, Rust's ammonia): no script, style, form or frame, no
event handler or style attribute, links opened apart from the desk. Remote images are not loaded
until the agent asks (`remote_images=True` when the agent does): a tracking pixel tells the
sender when, where and that the mail was read. Inline images (`cid:` sources) are named by their
Content-ID: the caller gives the pictures it has for them, as `data:` URLs of the mail's own
parts, and a `cid:` it has none for loses its source (its alt text shows).
"""

import re
from collections.abc import Mapping
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3

TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
        "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins",
        "li", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
# Dropped with everything inside them, not just their tags.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "title", "head", "template", "noscript", "iframe", "object"}
)
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height", "title"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "col": {"span"},
    "ol": {"start"},
}
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})
REMOTE = ("http://", "https://", "//")
CID_SOURCE = re.compile(r"""src\s*=\s*["']?\s*(cid:[^"'\s>]+)""", re.IGNORECASE)
BLOCKS = frozenset(
    {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr"}
)
SPACED = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr"}
)  # a blank line around them


def sanitized_html(
    html: str, *, remote_images: bool = False, inline_images: Mapping[str, str] | None = None
) -> str:
    """`html` as the desk may show it. Remote images keep their source only when the agent asked
    for them; a `cid:` image shows the `data:` URL `inline_images` has for its Content-ID. An
    image that loses its source keeps its alt text."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            if value.startswith("cid:"):
                return (inline_images or {}).get(content_id_of(value))
            if value.lower().startswith(REMOTE):
                return value if remote_images else None
            return None  # data: and other schemes: not loaded either
        return value

    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        attribute_filter=keep,
        url_schemes=set(LINK_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        strip_comments=True,
    )


def content_ids_named(html: str) -> set[str]:
    """The Content-IDs that `html`'s `cid:` images name."""
    return {content_id_of(source) for source in CID_SOURCE.findall(html)}


def content_id_of(source: str) -> str:
    """The Content-ID a `cid:` URL names (RFC 2392: URL-encoded, without angle brackets)."""
    return unquote(source[len("cid:") :]).strip().strip("<>")


def html_as_text(html: str) -> str:
    """What a person reads in `html`, as plain text: blocks on their own lines, nothing hidden
    (scripts, styles) read out. For a mail that has no text part."""
    reader = _TextReader()
    reader.feed(nh3.clean(html, tags=set(BLOCKS) | {"a"}, clean_content_tags=set(DROPPED_WITH_CONTENT)))
    reader.close()
    lines = [" ".join(line.split()) for line in "".join(reader.parts).splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return unescape(text).strip()


class _TextReader(HTMLParser):
    """Text with a line break around each block, and a blank line around paragraphs, headings
    and quotes: as the blocks sit on a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in BLOCKS:
            self._break(2 if tag in SPACED else 1)

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS and tag != "br":
            self._break(2 if tag in SPACED else 1)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def _break(self, lines: int) -> None:
        written = "".join(self.parts[-3:])
        if written:
            self.parts.append("\n" * (lines - (len(written) - len(written.rstrip("\n")))))
