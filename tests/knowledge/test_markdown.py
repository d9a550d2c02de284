"""Articles' Markdown becomes safe HTML and plain text: whatever an author (or a stolen author
account) types, no script runs on the page that shows it."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.utils.safestring import SafeString
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.markdown import EXTERNAL_LINK_REL, heading_anchor, plain_text, render_markdown

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "[ref link][x]\n\n[x]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '<iframe src="https://evil.example"></iframe>',
    "<style>body { display: none }</style>",
    "<svg><script>alert(1)</script></svg>",
    '<svg onload="alert(1)"></svg>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<form action="https://evil.example"><input name="password"></form>',
    "<object data=x></object><embed src=x>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "<!-- comment --><base href='https://evil.example/'>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
]
DANGEROUS_TAGS = {
    "script",
    "iframe",
    "style",
    "svg",
    "form",
    "input",
    "object",
    "embed",
    "meta",
    "base",
    "link",
    "div",
}
SAFE_SCHEMES = {"http", "https", "mailto", ""}
TAG = re.compile(r"<[a-zA-Z/!?][^<>]*>")  # a whole tag


class Elements(HTMLParser):
    """Every element of an HTML fragment with its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {name: value or "" for name, value in attrs}))

    handle_startendtag = handle_starttag


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def assert_inert(html: str) -> None:
    for tag, attributes in elements(html):
        assert tag not in DANGEROUS_TAGS, html
        assert not [name for name in attributes if name.startswith("on")], html
        assert "style" not in attributes or tag in ("th", "td"), html
        for name in ("href", "src"):
            if name in attributes:
                scheme = urlsplit(attributes[name].strip()).scheme.lower()
                assert scheme in SAFE_SCHEMES, html


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_renders_inert(source):
    html = render_markdown(f"Before\n\n{source}\n\nAfter")

    assert_inert(html)
    assert "Before" in html
    assert "After" in html


def test_raw_html_is_shown_as_text_not_rendered():
    html = render_markdown("Use <b>bold</b> and <script>alert(1)</script>")

    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html
    assert [tag for tag, _ in elements(html)] == ["p"]


def test_render_returns_safe_string_for_templates():
    assert isinstance(render_markdown("Hello"), SafeString)
    assert render_markdown("") == ""


def test_commonmark_tables_and_strikethrough():
    html = render_markdown("~~old~~ **new** _it_ `code`\n\n| Plan | Price |\n|:--|--:|\n| Pro | $10 |\n")

    tags = [tag for tag, _ in elements(html)]
    assert {"s", "strong", "em", "code", "table", "thead", "tbody", "th", "td"} <= set(tags)
    assert '<td style="text-align:right">$10</td>' in html


def test_links_keep_safe_schemes_and_external_ones_get_nofollow(settings):
    settings.PUBLIC_URL = "https://help.example.com"
    html = render_markdown(
        "[ext](https://other.example/a) [proto](//other.example/b) [rel](/help/acme/en/) "
        "[same](https://help.example.com/help/) [mail](mailto:help@example.com) [anchor](#setup)"
    )

    links = {attributes["href"]: attributes.get("rel") for tag, attributes in elements(html) if tag == "a"}
    assert links == {
        "https://other.example/a": EXTERNAL_LINK_REL,
        "//other.example/b": EXTERNAL_LINK_REL,
        "/help/acme/en/": None,
        "https://help.example.com/help/": None,
        "mailto:help@example.com": None,
        "#setup": None,
    }


def test_a_rel_attribute_cannot_be_smuggled_in():
    html = render_markdown('[x](https://a.example "title") <a rel="opener" href="https://b.example">b</a>')

    assert elements(html) == [
        ("p", {}),
        ("a", {"href": "https://a.example", "title": "title", "rel": EXTERNAL_LINK_REL}),
    ]


def test_images_only_from_http_or_this_sites_media():
    html = render_markdown(
        "![web](https://cdn.example.com/a.png) ![ours](/media/help/1/ab/shot.png) "
        "![static](/static/x.png) ![file](file:///etc/passwd) ![rel](../secret.png)"
    )

    sources = [attributes.get("src") for tag, attributes in elements(html) if tag == "img"]
    assert sources == ["https://cdn.example.com/a.png", "/media/help/1/ab/shot.png", None, None]
    assert all(attributes.get("loading") == "lazy" for tag, attributes in elements(html) if tag == "img")


def test_headings_move_down_a_level_and_get_unique_anchor_ids():
    html = render_markdown("# Set up SSO\n\n## Set up SSO\n\n### Étape 2: café_au_lait\n\n###### Six")

    headings = [(tag, attributes.get("id")) for tag, attributes in elements(html)]
    assert headings == [
        ("h2", "set-up-sso"),
        ("h3", "set-up-sso-2"),
        ("h4", "étape-2-café-au-lait"),
        ("h6", "six"),
    ]
    assert "_" not in heading_anchor("a_b c")  # the page's own ids use "_": never a collision


def test_plain_text_is_the_words_without_markup_or_raw_html():
    source = (
        "# Reset your password\n\nGo to **Settings** > [Security](https://x.example).\n\n"
        "<script>alert(1)</script><img src=x onerror=alert(2)>\n\n- one\n- two\n\n`code` & more"
    )

    text = plain_text(source)

    assert text == "Reset your password Go to Settings > Security. one two code & more"
    assert not isinstance(text, SafeString)


def test_plain_text_shows_entities_as_the_page_does():
    assert plain_text("Type &amp;lt;b&amp;gt; to get &lt;b&gt;") == "Type &lt;b&gt; to get"
    assert plain_text("1 < 2 && 3 > 2") == "1 < 2 && 3 > 2"


def test_plain_text_of_deeply_nested_tags_is_quick_and_tagless():
    source = "<a " * 50_000 + ">" * 50_000

    text = plain_text(source)

    assert not TAG.search(text)


def test_plain_text_cuts_at_a_word_with_an_ellipsis():
    text = plain_text("The quick brown fox jumps over the lazy dog", limit=20)

    assert text == "The quick brown fox…"
    assert len(text) <= 20
    assert plain_text("Short", limit=20) == "Short"
    assert plain_text("", limit=5) == ""


def test_a_long_body_renders():
    body = "## Part\n\n" + ("A sentence with a [link](https://example.com) and `code`. " * 3000)

    html = render_markdown(body)

    assert html.count("<a ") == 3000


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from([*HOSTILE, "[", "]", "(", ")", "<", ">", "\n", "`", "*", "!", "a", '"']), max_size=12
    )
)
def test_any_mix_of_hostile_fragments_renders_inert(fragments):
    source = "".join(fragments)

    assert_inert(render_markdown(source))
    assert not TAG.search(plain_text(source))
