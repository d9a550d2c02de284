"""The help center inside the widget, over HTTP: search as the visitor types, the most read articles
for a blank query, one article as safe HTML, and what is refused (customer_clients/help.py)."""

import re
import secrets

import pytest

from customer_clients import help
from knowledge.models import Article
from tests.factories.conversations import InboxFactory
from tests.knowledge.factories import ArticleFactory, PortalFactory, indexed_article

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
SEARCH = "/widget/api/v1/help/search"


@pytest.fixture
def inbox():
    return InboxFactory(name="Acme support", allowed_origins=SHOP)


@pytest.fixture
def portal(inbox):
    portal = PortalFactory(name="Acme Help", slug="acme", locales=["fr"])
    portal.inboxes.add(inbox)
    return portal


@pytest.fixture
def card(portal):
    return indexed_article(
        portal=portal,
        slug="card-not-arrived",
        title="Your new card has not arrived",
        description="When a card takes longer than a week, and how to track it.",
        questions=("I am still waiting on my card", "Can I track my card delivery?"),
        body="Cards arrive **within** a week.",
    )


@pytest.fixture
def pin(portal):
    return indexed_article(portal=portal, title="Change your PIN", questions=("How do I change my PIN?",))


def search(client, inbox, origin: str = SHOP, address: str = "127.0.0.1", **params):
    return client.get(SEARCH, {"key": inbox.public_key, **params}, HTTP_ORIGIN=origin, REMOTE_ADDR=address)


def article(client, inbox, article_id: int):
    return client.get(
        f"/widget/api/v1/help/articles/{article_id}", {"key": inbox.public_key}, HTTP_ORIGIN=SHOP
    )


def test_a_search_finds_the_article_that_answers_the_question(client, inbox, card, pin):
    response = search(client, inbox, q="where is my card? it never came")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP
    best = response.json()["articles"][0]
    assert best["id"] == card.pk
    assert best["title"] == "Your new card has not arrived"
    assert best["category"] == card.category.name
    assert best["url"].endswith("/help/acme/en/articles/card-not-arrived/")
    assert best["url"].startswith("http")  # absolute: the link leaves the frame
    assert best["snippet"]


def test_only_articles_as_sure_as_the_bot_needs_are_shown(client, inbox, card, pin, settings):
    settings.PARLEY_BOT_THRESHOLD = 1.0
    assert [found["id"] for found in search(client, inbox, q="my card never came").json()["articles"]] == [
        card.pk
    ]
    assert search(client, inbox, q="what is the weather like in Paris").json() == {"articles": []}


def test_a_blank_query_answers_the_most_read_published_articles(client, inbox, portal):
    quiet = ArticleFactory(portal=portal, title="Quiet", view_count=3)
    read = ArticleFactory(portal=portal, title="Read a lot", view_count=90, description="The favourite.")
    ArticleFactory(portal=portal, title="Draft", view_count=1000, status=Article.Status.DRAFT)
    ArticleFactory(portal=portal, title="Gone", view_count=1000, status=Article.Status.ARCHIVED)
    ArticleFactory(portal=PortalFactory(), title="Elsewhere", view_count=1000)
    for query in ("", "   "):
        articles = search(client, inbox, q=query).json()["articles"]
        assert [found["id"] for found in articles] == [read.pk, quiet.pk]
        assert articles[0]["snippet"] == "The favourite."


def test_a_query_over_the_limit_is_refused_whole(client, inbox, card):
    response = search(client, inbox, q="card " * 2000)
    assert response.status_code == 400
    assert response.json()["error"] == "query_too_long"
    assert "500" in response.json()["detail"]


def test_a_locale_the_help_center_does_not_offer_is_refused(client, inbox, card):
    for query in ("card", ""):
        response = search(client, inbox, q=query, locale="de")
        assert (response.status_code, response.json()["error"]) == (400, "unknown_locale")
    assert search(client, inbox, q="card", locale="fr").status_code == 200


def test_an_inbox_without_a_help_center_finds_nothing_and_says_so_in_its_config(client):
    bare = InboxFactory()
    hidden = InboxFactory()
    PortalFactory(is_public=False).inboxes.add(hidden)
    for inbox in (bare, hidden):
        assert search(client, inbox, q="card").json() == {"articles": []}
        config = client.get("/widget/api/v1/config", {"key": inbox.public_key}).json()
        assert config["help"] == {"enabled": False, "portal_name": None, "locales": []}


def test_the_config_and_the_frame_offer_the_inboxs_help_center(client, inbox, portal):
    config = client.get("/widget/api/v1/config", {"key": inbox.public_key}, HTTP_ORIGIN=SHOP).json()
    assert config["help"] == {"enabled": True, "portal_name": "Acme Help", "locales": ["en", "fr"]}
    frame = client.get("/widget/frame/", {"key": inbox.public_key}).content.decode()
    assert '"help": {"enabled": true, "portal_name": "Acme Help"' in frame


def test_the_first_linked_help_center_is_the_widgets(client, inbox, portal):
    later = PortalFactory(name="Later")
    later.inboxes.add(inbox)
    theirs = indexed_article(portal=later, title="Your new card has not arrived")
    assert theirs.pk not in [found["id"] for found in search(client, inbox, q="card").json()["articles"]]
    assert article(client, inbox, theirs.pk).status_code == 404


def test_an_article_is_read_as_html_with_its_link_and_counts_a_view(client, inbox, card):
    response = article(client, inbox, card.pk)
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["title"]) == (card.pk, "Your new card has not arrived")
    assert body["html"] == "<p>Cards arrive <strong>within</strong> a week.</p>\n"
    assert body["url"].endswith("/help/acme/en/articles/card-not-arrived/")
    card.refresh_from_db()
    assert body["updated_at"] == card.updated_at.isoformat()
    assert card.view_count == 1


def test_drafts_archived_and_other_portals_articles_are_not_found(client, inbox, portal):
    draft = ArticleFactory(portal=portal, status=Article.Status.DRAFT)
    archived = ArticleFactory(portal=portal, status=Article.Status.ARCHIVED)
    elsewhere = ArticleFactory(portal=PortalFactory())
    for hidden in (draft, archived, elsewhere):
        response = article(client, inbox, hidden.pk)
        assert (response.status_code, response.json()["error"]) == (404, "not_found")
    for missing in (987654321, 10**30):  # no such article; past any id column's range
        assert article(client, inbox, missing).status_code == 404


def test_script_in_an_article_arrives_inert(client, inbox, portal):
    hostile = ArticleFactory(
        portal=portal,
        body=(
            '<script>window.__xss=1</script>\n\n<img src=x onerror="window.__xss=1">\n\n'
            "[click](javascript:window.__xss=1) ![pic](javascript:alert(1)) "
            '<a href="x" onclick="alert(1)">y</a>'
        ),
    )
    html = article(client, inbox, hostile.pk).json()["html"]
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]*\son\w+\s*=", html, flags=re.IGNORECASE), html
    assert not re.search(r"(href|src)=\"?\s*javascript:", html, flags=re.IGNORECASE), html
    assert "&lt;script&gt;" in html  # shown as the text it is


def test_a_page_the_inbox_does_not_allow_is_refused(client, inbox, card):
    assert search(client, inbox, origin="https://evil.example", q="card").status_code == 403
    unknown = client.get(SEARCH, {"key": "nope", "q": "card"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "inbox_not_found")


def test_searches_are_rate_limited_per_visitor_address(client, inbox, card, monkeypatch, clock):
    monkeypatch.setattr(help, "SEARCHES_PER_MINUTE", 3)
    # Addresses of this run only: the counts live in Redis, which outlives a test database.
    visitor, neighbour = (f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{n}" for n in (1, 2))
    answers = [search(client, inbox, q="card", address=visitor).status_code for _ in range(4)]
    refused = search(client, inbox, q="card", address=visitor)
    assert answers == [200, 200, 200, 429]
    assert refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Access-Control-Allow-Origin"] == SHOP  # the page can read why
    assert search(client, inbox, q="card", address=neighbour).status_code == 200
    clock.advance(seconds=61)
    assert search(client, inbox, q="card", address=visitor).status_code == 200


def test_query_counts_do_not_grow_with_the_results(
    client, inbox, portal, card, pin, settings, django_assert_num_queries
):
    settings.PARLEY_BOT_THRESHOLD = -100.0  # every hit shown: the count must not grow with them
    for n in range(6):
        indexed_article(portal=portal, title=f"Card question {n}", view_count=n, questions=("my card?",))
    search(client, inbox, q="card")  # the process's vector index of this portal is built once
    # The inbox is the process's (conversations/settings_rows.py), read by the first search.
    # The portal, lexical candidates with the shelf's stamp, the hits with their categories
    with django_assert_num_queries(3):
        assert len(search(client, inbox, q="card").json()["articles"]) == help.RESULTS
    # The portal, the most read articles with their categories
    with django_assert_num_queries(2):
        assert len(search(client, inbox, q="").json()["articles"]) == help.RESULTS
    # The portal, the article, its view counted
    with django_assert_num_queries(3):
        assert article(client, inbox, card.pk).status_code == 200
