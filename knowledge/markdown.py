"""Articles are written in Markdown; this is the one place it becomes HTML or plain text.

Two walls, so one mistake is not a hole:
1. markdown-it-py (CommonMark, tables, strikethrough) with raw HTML off: `<script>` in the source
   is text on the page, and a link or image whose URL breaks the policy below is not made a link.
2. nh3 then cleans what markdown-it made, by an allow-list of tags, attributes and URL schemes.

The URL policy: links are http, https, mailto or relative; external ones (another host) carry
rel="nofollow noopener noreferrer". Images are http(s) or this site's MEDIA_URL. Headings move
one level down (the page's title is its only h1) and get ids for anchors; an id is lowercase
letters, digits and hyphens only, so it never collides with the page's own ids, which use `_`.
"""

import re
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

EXTERNAL_LINK_REL = "nofollow noopener noreferrer"
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"http", "https"})
ALLOWED_TAGS = frozenset(
    {
        *("p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "s", "a", "img"),
        *("h2", "h3", "h4", "h5", "h6", "ul", "ol", "li"),
        *("table", "thead", "tbody", "tr", "th", "td"),
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
    **{f"h{level}": {"id"} for level in range(2, 7)},
}
# Not in ALLOWED_ATTRIBUTES: nh3 keeps `rel` only when it is exactly this value.
ALLOWED_ATTRIBUTE_VALUES = {"a": {"rel": {EXTERNAL_LINK_REL}}}
NOT_ANCHOR_CHARACTERS = re.compile(r"[^\w]+|_+")
WHITESPACE = re.compile(r"\s+")
SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
TAG_LIKE = re.compile(r"<[a-zA-Z/!?][^<>]*>")
TAG_PASSES = 8


def render_markdown(text: str) -> SafeString:
    """`text` (an article's Markdown) as HTML that is safe to put in any page."""
    rendered = _parser().render(text or "")
    cleaned = nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
        attribute_filter=_allowed_attribute,
        link_rel=None,
        url_schemes=set(LINK_SCHEMES),
        filter_style_properties={"text-align"},
        set_tag_attribute_values={"img": {"loading": "lazy"}},
    )
    return mark_safe(cleaned)  # noqa: S308  nh3 has just cleaned it by the allow-list above


def plain_text(text: str, limit: int | None = None) -> str:
    """What a reader of `text` (Markdown) reads, as one line of plain text: for snippets, meta
    descriptions and chat messages. Markup, raw HTML and what a script or style element holds are
    gone. Cut at a word with "…" when longer than `limit`. Plain text, not HTML: whatever puts it
    in a page must escape it (templates do)."""
    text = text or ""
    if limit is not None:  # a snippet needs the start only: a 200,000-character body is not parsed whole
        text = text[: max(limit * 20, 2_000)]
    words = "".join(_texts(_parser().parse(text)))
    flat = WHITESPACE.sub(" ", _without_tags(words)).strip()
    if limit is None or len(flat) <= limit:
        return flat
    cut = flat[: max(limit - 1, 0)]
    if " " in cut and not flat[len(cut)].isspace():
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"


def heading_anchor(title: str) -> str:
    """The id a heading titled `title` gets (before numbering repeats): "Set up SSO" -> "set-up-sso"."""
    return NOT_ANCHOR_CHARACTERS.sub("-", title.lower()).strip("-") or "section"


_PARSER: MarkdownIt | None = None


def _parser() -> MarkdownIt:
    global _PARSER  # built once per process: compiling the rules is the slow part
    if _PARSER is None:
        parser = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
        parser.validateLink = _link_allowed
        parser.core.ruler.push("heading_anchors", _anchor_headings)
        parser.add_render_rule("link_open", _render_link_open)
        _PARSER = parser
    return _PARSER


def _scheme(url: str) -> str:
    try:
        return urlsplit(url.strip()).scheme.lower()
    except ValueError:  # e.g. an invalid IPv6 host: not a URL we make a link of
        return "invalid"


def _link_allowed(url: str) -> bool:
    """Whether markdown-it may make a link or image of `url` (images are narrowed by nh3)."""
    scheme = _scheme(url)
    return scheme in LINK_SCHEMES or scheme == ""


def _is_external(url: str) -> bool:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https", ""):
        return False
    return bool(parts.netloc) and parts.netloc.lower() != urlsplit(settings.PUBLIC_URL).netloc.lower()


def _image_allowed(src: str) -> bool:
    parts = urlsplit(src.strip())
    if parts.scheme.lower() in IMAGE_SCHEMES:
        return True
    return not parts.scheme and not parts.netloc and parts.path.startswith(settings.MEDIA_URL)


def _allowed_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        try:
            return value if _image_allowed(value) else None
        except ValueError:
            return None
    return value


def _render_link_open(self, tokens: list[Token], index: int, options, env) -> str:
    token = tokens[index]
    try:
        external = _is_external(str(token.attrGet("href") or ""))
    except ValueError:
        external = False
    if external:
        token.attrSet("rel", EXTERNAL_LINK_REL)
    return self.renderToken(tokens, index, options, env)


def _anchor_headings(state: StateCore) -> None:
    """Each heading one level down (h1 -> h2, h6 stays) with a unique id from its text."""
    used: set[str] = set()
    for index, token in enumerate(state.tokens):
        if token.type not in ("heading_open", "heading_close"):
            continue
        token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
        if token.type == "heading_open":
            anchor = heading_anchor("".join(_texts(state.tokens[index + 1 : index + 2])))
            unique, number = anchor, 1
            while unique in used:
                number += 1
                unique = f"{anchor}-{number}"
            used.add(unique)
            token.attrSet("id", unique)


def _without_tags(words: str) -> str:
    """`words` without anything shaped like an HTML tag, nor what a script or style element holds
    (a page shows raw HTML as text; a snippet or a chat message had better not)."""
    words = SCRIPT_OR_STYLE.sub(" ", words)
    for _ in range(TAG_PASSES):  # "<a <b>>" hides a second tag around the first
        words, removed = TAG_LIKE.subn(" ", words)
        if not removed:
            return words
    return words.replace("<", "< ")  # nested deeper on purpose: no pass per level, and no tag left


def _texts(tokens: list[Token]):
    """The readable text of parsed tokens, in order: words, code, images' alt text."""
    for token in tokens:
        if token.children:
            yield from _texts(token.children)
        elif token.type in ("text", "code_inline", "code_block", "fence", "html_inline", "html_block"):
            yield token.content
        elif token.type in ("softbreak", "hardbreak") or (token.nesting == -1 and token.block):
            yield " "
