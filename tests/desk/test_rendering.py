"""The desk's fast rendering helpers write exactly what Django's own filters wrote before them
(desk/templatetags/desk.py: message_html for `urlize|linebreaksbr`, truncated for
`truncatechars`), and a history entry shows its author, time and links as before."""

import random

import pytest
from django.template.defaultfilters import linebreaksbr, truncatechars, urlize
from django.utils.safestring import SafeString, mark_safe

from conversations import services
from desk.templatetags.desk import message_html, truncated
from tests.factories.conversations import ContactFactory

BODIES = [
    "",
    "plain words only",
    "Line one\nLine two <script>alert(1)</script> & \"quotes\" 'single'",
    "See https://example.com/a?b=1&c=<2> and www.parley.org, or mail me: jo@example.com.",
    "(http://x.io/path). trailing: foo.com, bar.net! [www.z.com]\r\nwindows\rmac",
    "x&amp.;; y&amp;.:; (a.com). [b@c.org]! e.g. 3.5 kg, 10:30, mailto:x@y.z",
    "Zoë e\u0301 \u2028 http://[::1]/x 'quoted.com' \"q@x.org\"",
]
PIECES = [*"ab .@:/\n\r<>\"'&()[];,!?-_=#%", "www.", "http://", ".com", "&amp;", "x@y", "..", "é"]


def random_bodies(count: int) -> list[str]:
    rng = random.Random(20261205)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 25))) for _ in range(count)]


@pytest.mark.parametrize("body", BODIES + random_bodies(3000))
def test_message_html_is_urlize_then_linebreaksbr(body):
    html = message_html(body)
    assert html == linebreaksbr(urlize(body))
    assert isinstance(html, SafeString)


def test_message_html_leaves_text_already_marked_safe_to_django():
    body = mark_safe("<b>bold</b> www.example.com")
    assert message_html(body) == linebreaksbr(urlize(body))


@pytest.mark.parametrize("text", ["", "short", "x" * 90, "x" * 91, "é" * 95, "e\u0301" * 95, BODIES[3] * 2])
@pytest.mark.parametrize("length", [1, 2, 89, 90, 91])
def test_truncated_is_truncatechars(text, length):
    assert truncated(text, length) == truncatechars(text, length)


@pytest.mark.django_db
def test_a_history_entry_shows_author_time_and_links(client, agent, inbox):
    client.force_login(agent)
    contact = ContactFactory(name="Ada <Lovelace>")
    message = services.message_receive(inbox=inbox, contact=contact, body="Order at www.shop.com.\nThanks")
    html = client.get(f"/desk/c/{message.conversation_id}/history/").content.decode()
    assert "<strong>Ada &lt;Lovelace&gt;</strong>" in html
    assert f'<time datetime="{message.created_at.isoformat()}">' in html
    assert '<a href="http://www.shop.com" rel="nofollow">www.shop.com</a>.<br>Thanks' in html
