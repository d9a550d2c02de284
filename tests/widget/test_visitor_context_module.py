"""static/widget/visitor-context.js makes the session call's `context` as the server keeps it
(docs/protocol.md, "Visitor context"): run in Node, which has navigator and Intl but no DOM."""

import json
import shutil
import subprocess

import pytest
from django.conf import settings

from conversations.visitor_context import cleaned_visitor_context

MODULE = settings.BASE_DIR / "static" / "widget" / "visitor-context.js"
NODE = shutil.which("node")

SCRIPT = """
import { visitorContext } from %(module)s;
// A French browser (Node before 21 has no navigator at all).
Object.defineProperty(globalThis, "navigator", { value: { language: "fr-FR" }, configurable: true });
const pages = JSON.parse(process.argv[2]);
console.log(JSON.stringify(pages.map((page) => visitorContext(page))));
"""

PAGES = [
    {"url": "https://shop.example.com/boots?size=42", "title": "  Trail\tboots\n· Acme  "},
    {"url": "javascript:alert(1)", "title": "x" * 300},
    {"url": "https://shop.example.com/" + "a" * 2000, "title": "Café " + "😀" * 250},
    {"url": "https://shop.example.com/", "title": "cut inside an emoji \ud83d and \x07 a bell"},
    {},
]


@pytest.fixture
def contexts(tmp_path) -> list[dict]:
    if not NODE:
        pytest.skip("needs Node")
    script = tmp_path / "context.mjs"
    script.write_text(SCRIPT % {"module": json.dumps(MODULE.as_uri())})
    run = subprocess.run(
        [NODE, str(script), json.dumps(PAGES)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={"TZ": "Europe/Paris", "LANG": "fr_FR.UTF-8", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_page_title_language_and_time_zone_are_sent_as_the_server_keeps_them(contexts):
    first = contexts[0]
    assert first["page_url"] == PAGES[0]["url"]
    assert first["page_title"] == "Trail boots · Acme"
    assert first["time_zone"] == "Europe/Paris"
    assert first["language"] == "fr-FR"
    assert cleaned_visitor_context(first) == first  # nothing the server would drop


def test_a_page_that_is_not_an_http_link_is_left_out_and_a_long_title_cut(contexts):
    second, third = contexts[1], contexts[2]
    assert "page_url" not in second and "page_url" not in third
    assert second["page_title"] == "x" * 199 + "…"
    assert len(list(third["page_title"])) == 200 and third["page_title"].endswith("😀…")
    for context in (second, third):
        assert cleaned_visitor_context(context) == context


def test_a_title_with_a_lone_surrogate_or_control_character_is_made_well_formed(contexts):
    assert contexts[3]["page_title"] == "cut inside an emoji \ufffd and a bell"
    assert cleaned_visitor_context(contexts[3]) == contexts[3]
    assert contexts[4] == {"language": "fr-FR", "time_zone": "Europe/Paris"}
