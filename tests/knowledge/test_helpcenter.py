"""The public help center: pages a reader and a crawler can use, at a fixed cost in queries, that
never run what an article's author typed, and that answer wrong addresses with a useful page."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from knowledge import services
from knowledge.models import Article, ArticleFeedback, Portal
from knowledge.views.helpcenter import preferred_locale
from knowledge.views.theme import contrast, theme_for
from tests.factories.agents import UserFactory
from tests.knowledge.factories import ArticleFactory, CategoryFactory, PortalFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
HOSTILE_BODY = (
    "Intro\n\n<script>alert('body')</script>\n\n<img src=x onerror=alert('img')>\n\n"
    "[Click me](javascript:alert('link'))\n\n<iframe src='https://evil.example'></iframe>\n\n"
    "<svg onload=alert('svg')><script>alert('svg')</script></svg>\n\n<a href='https://ok.example' "
    "onclick=alert('a')>raw</a>"
)


class Page(HTMLParser):
    """The elements of a page that matter here: scripts, event handlers, links, headings."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: dict[str, list[str]] = {}
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if self._open:
            self.text.setdefault(self._open[-1], []).append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attributes for name, attributes in self.elements if name == tag]

    def first(self, tag: str, **wanted: str) -> dict[str, str]:
        return next(
            a
            for a in self.all(tag)
            if all(a.get(k.rstrip("_").replace("_", "-")) == v for k, v in wanted.items())
        )


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Writers and admins are made per test; the production hasher would spend seconds on each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def public_url(settings):
    settings.PUBLIC_URL = "https://support.example.com"


@pytest.fixture
def portal() -> Portal:
    return PortalFactory(name="Acme", slug="acme", default_locale="en", locales=["fr"], color="#0f766e")


@pytest.fixture
def writer():
    return UserFactory(first_name="Ada", last_name="Lovelace")


@pytest.fixture
def reader() -> Client:
    return Client(HTTP_USER_AGENT=BROWSER)


def published(portal: Portal, writer=None, **fields) -> Article:
    article = services.article_create(
        **{"portal": portal, "title": "Reset your password", "body": "Go to **Settings**.", "author": writer}
        | fields
    )
    return services.article_set_status(article=article, status="published", actor=writer)


def url(name: str, **kwargs: str) -> str:
    return reverse(f"knowledge:{name}", kwargs=kwargs)


def article_url(article: Article) -> str:
    return url("article", portal_slug=article.portal.slug, locale=article.locale, article_slug=article.slug)


# --- addresses ---------------------------------------------------------------------------------


def test_the_portal_address_goes_to_the_readers_language_or_the_default(reader, portal):
    plain = reader.get("/help/acme/")
    french = reader.get("/help/acme/", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.9,en;q=0.5")
    german = reader.get("/help/acme/", HTTP_ACCEPT_LANGUAGE="de")

    assert (plain.status_code, plain["Location"]) == (302, "/help/acme/en/")
    assert french["Location"] == "/help/acme/fr/"
    assert german["Location"] == "/help/acme/en/"
    assert "Accept-Language" in plain["Vary"]


@pytest.mark.parametrize(
    ("header", "offered", "chosen"),
    [
        ("pt", ["en", "pt-BR"], "pt-BR"),
        ("en;q=0.2, fr;q=0.8", ["en", "fr"], "fr"),
        ("fr;q=0, en", ["en", "fr"], "en"),
        ("xx, *", ["en"], None),
        ("fr;q=nonsense, de", ["de"], "de"),
    ],
)
def test_accept_language_picks_the_best_offered_locale(header, offered, chosen):
    assert preferred_locale(header, offered) == chosen


@pytest.mark.parametrize("path", ["/help/nowhere/", "/help/nowhere/en/", "/help/nowhere/sitemap.xml"])
def test_an_unknown_portal_is_a_404_page(reader, path):
    response = reader.get(path)

    assert response.status_code == 404
    assert "There is no help center here" in response.content.decode()


def test_a_private_portal_is_not_found(reader, portal):
    Portal.objects.filter(pk=portal.pk).update(is_public=False)

    assert reader.get("/help/acme/en/").status_code == 404


def test_an_unknown_locale_is_a_404_that_links_to_the_offered_ones(reader, portal):
    article = published(portal)

    for path in ("/help/acme/de/", f"/help/acme/de/articles/{article.slug}/", "/help/acme/EN/search?q=x"):
        response = reader.get(path)
        page = Page(response.content.decode())
        assert response.status_code == 404
        assert {"href": "/help/acme/en/", "hreflang": "en", "lang": "en"} in page.all("a")
        assert "not available in" in response.content.decode()


def test_unknown_category_and_article_are_404_pages_with_a_way_on(reader, portal):
    for path in ("/help/acme/en/categories/none/", "/help/acme/en/articles/none/"):
        response = reader.get(path)
        assert response.status_code == 404
        assert 'action="/help/acme/en/search"' in response.content.decode()


def test_drafts_are_not_found_and_retired_articles_are_gone(reader, portal, writer):
    draft = services.article_create(portal=portal, title="Secret plan", body="x", author=writer)
    never_published = services.article_create(portal=portal, title="Old draft", body="x", author=writer)
    services.article_set_status(article=never_published, status="archived", actor=writer)
    retired = published(portal, writer, title="Old pricing")
    services.article_set_status(article=retired, status="archived", actor=writer)

    assert reader.get(article_url(draft)).status_code == 404
    assert reader.get(article_url(never_published)).status_code == 404
    gone = reader.get(article_url(retired))
    assert gone.status_code == 410
    assert "This article has been archived" in gone.content.decode()
    assert "Secret plan" not in reader.get("/help/acme/en/").content.decode()


# --- the pages and their costs ------------------------------------------------------------------


def build_shelf(portal: Portal, articles: int) -> None:
    """Two categories with `articles` published articles between them, plus a draft in each."""
    categories = [
        CategoryFactory(portal=portal, locale="en", name="Account", slug="account"),
        CategoryFactory(portal=portal, locale="en", name="Billing", slug="billing"),
    ]
    for number in range(articles):
        ArticleFactory(
            portal=portal, category=categories[number % 2], title=f"Article {number}", view_count=number
        )
    for category in categories:
        ArticleFactory(portal=portal, category=category, status="draft", title="Draft")


@pytest.mark.parametrize("articles", [2, 12])
def test_home_lists_categories_with_counts_and_popular_articles_in_three_queries(
    reader, portal, django_assert_num_queries, articles
):
    build_shelf(portal, articles)

    with django_assert_num_queries(3):  # portal, categories with counts, popular articles
        response = reader.get("/help/acme/en/")

    html = response.content.decode()
    page = Page(html)
    assert response.status_code == 200
    per_category = articles // 2
    assert f"{per_category} article{'s' if per_category != 1 else ''}</span>" in html
    assert "Draft" not in html
    assert f"Article {articles - 1}" in html  # the most read
    assert len(page.all("h1")) == 1
    assert page.first("link", rel="canonical")["href"] == "https://support.example.com/help/acme/en/"
    assert (
        page.first("link", rel="alternate", hreflang="fr")["href"]
        == "https://support.example.com/help/acme/fr/"
    )
    assert "public" in response["Cache-Control"]


@pytest.mark.parametrize("articles", [2, 12])
def test_a_category_lists_its_published_articles_in_three_queries(
    reader, portal, django_assert_num_queries, articles
):
    build_shelf(portal, articles)

    with django_assert_num_queries(3):  # portal, category, its articles
        response = reader.get("/help/acme/en/categories/account/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('href="/help/acme/en/articles/') == (articles + 1) // 2
    assert "Draft" not in html


@pytest.mark.parametrize("related", [1, 8])
def test_an_article_page_costs_five_queries_whatever_it_relates_to(
    reader, portal, writer, django_assert_num_queries, related
):
    category = CategoryFactory(portal=portal, locale="en", name="Account", slug="account")
    article = published(portal, writer, category=category, description="How to get back in.")
    for number in range(related):
        ArticleFactory(portal=portal, category=category, title=f"Sibling {number}")
    published(portal, writer, locale="fr", title="Réinitialiser", translation_of=article)

    with django_assert_num_queries(5):  # portal, article, its translations, related, the view count
        response = reader.get(article_url(article))

    assert response.status_code == 200
    assert response.content.decode().count("Sibling ") == min(related, 5)


def test_an_article_page_has_what_readers_and_crawlers_need(reader, portal, writer):
    category = CategoryFactory(portal=portal, locale="en", name="Account", slug="account")
    article = published(
        portal, writer, category=category, body="# Steps\n\nOpen **Settings** and choose *Security*. " * 20
    )
    sibling = published(portal, writer, category=category, title="Turn on two-step login")
    translation = published(portal, writer, locale="fr", title="Réinitialiser", translation_of=article)

    response = reader.get(article_url(article))
    html = response.content.decode()
    page = Page(html)

    assert page.text["title"] == ["Reset your password | Acme Help Center"]
    assert page.first("meta", name="description")["content"].startswith(
        "Steps Open Settings and choose Security."
    )
    assert len(page.first("meta", name="description")["content"]) <= 160
    assert page.first("meta", property="og:title")["content"] == "Reset your password"
    canonical = "https://support.example.com/help/acme/en/articles/reset-your-password/"
    assert page.first("link", rel="canonical")["href"] == canonical
    assert page.first("link", rel="alternate", hreflang="en")["href"] == canonical
    assert page.first("link", rel="alternate", hreflang="fr")["href"].endswith(article_url(translation))
    assert len(page.all("h1")) == 1
    assert page.first("h2", id="steps")  # the body's "# Steps", a level down with an anchor
    assert "Ada Lovelace" in html
    assert page.first("time")["datetime"]
    assert {"href": "/help/acme/en/categories/account/"} in page.all("a")
    assert {"href": article_url(sibling)} in page.all("a")
    assert {"href": article_url(translation), "hreflang": "fr", "lang": "fr"} in page.all("a")
    assert response["ETag"] and response["Last-Modified"]


def test_the_author_login_name_is_never_shown(reader, portal):
    anonymous_writer = UserFactory(username="ada.secret.login", first_name="", last_name="")

    html = reader.get(article_url(published(portal, anonymous_writer))).content.decode()

    assert "ada.secret.login" not in html
    assert "Written by the <strong>Acme</strong> team" in html


def test_views_are_counted_for_readers_not_for_bots_head_or_revalidation_after_feedback(reader, portal):
    article = published(portal)
    address = article_url(article)

    reader.get(address)
    reader.head(address)
    Client(HTTP_USER_AGENT="Googlebot/2.1 (+http://www.google.com/bot.html)").get(address)
    Client().get(address)  # no user agent at all
    reader.get(f"{address}?feedback=sent")

    article.refresh_from_db()
    assert article.view_count == 1


def test_an_unchanged_article_answers_304_and_a_change_invalidates_it(reader, portal, writer):
    article = published(portal, writer)
    first = reader.get(article_url(article))

    again = reader.get(article_url(article), HTTP_IF_NONE_MATCH=first["ETag"])
    services.article_update(article=article, actor=writer, body="Changed")
    after_edit = reader.get(article_url(article), HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert after_edit.status_code == 200
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]


def test_hostile_markdown_is_inert_on_the_article_page(reader, portal, writer):
    article = published(portal, writer, body=HOSTILE_BODY)

    html = reader.get(article_url(article)).content.decode()
    page = Page(html)

    scripts = page.all("script")
    assert scripts == [{"type": "module", "src": "/static/helpcenter/feedback.js"}]
    assert not [tag for tag, attributes in page.elements if any(name.startswith("on") for name in attributes)]
    assert not page.all("iframe")
    assert len(page.all("svg")) == 3  # the search icon and the two thumbs: none from the body
    assert not [a for a in page.all("a") if a.get("href", "").lower().startswith("javascript")]
    assert "&lt;script&gt;" in html


def test_search_shows_results_with_their_snippet(reader, portal, writer):
    published(portal, writer, title="Change your PIN", body="Open the app to change your PIN.")
    published(portal, writer, questions=["I forgot my password"])

    response = reader.get("/help/acme/en/search", {"q": "forgot password"})
    html = response.content.decode()

    assert response.status_code == 200
    assert 'href="/help/acme/en/articles/reset-your-password/"' in html
    assert "Answers: “I forgot my password”" in html
    assert Page(html).first("meta", name="robots")["content"].startswith("noindex")


def test_search_costs_a_fixed_number_of_queries(reader, portal, writer, django_assert_num_queries):
    for number in range(6):
        published(portal, writer, title=f"Password help {number}")
    reader.get("/help/acme/en/search", {"q": "password"})  # the process's vector index is built

    with django_assert_num_queries(3):  # portal, lexical candidates with the shelf's stamp, the hits
        response = reader.get("/help/acme/en/search", {"q": "password"})

    assert response.content.decode().count("Password help") == 6


def test_an_empty_search_is_the_search_page(reader, portal):
    response = reader.get("/help/acme/en/search", {"q": "   "})

    assert response.status_code == 200
    assert "Search the help center" in response.content.decode()


def test_a_ten_thousand_character_search_is_a_clear_400_page(reader, portal):
    response = reader.get("/help/acme/en/search", {"q": "a" * 10_000})
    page = Page(response.content.decode())

    assert response.status_code == 400
    assert "Searches are limited to 500 characters" in "".join(page.text["p"])
    assert len(page.first("input", type="search")["value"]) == 500


# --- feedback ------------------------------------------------------------------------------------


def feedback_url(article: Article) -> str:
    return url("article_feedback", portal_slug="acme", locale=article.locale, article_slug=article.slug)


def csrf_token(client: Client, article: Article) -> str:
    html = client.get(article_url(article)).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_feedback_without_javascript_thanks_the_reader_and_counts_one_vote(portal):
    article = published(portal)
    browser = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER)
    token = csrf_token(browser, article)

    first = browser.post(feedback_url(article), {"helpful": "yes", "csrfmiddlewaretoken": token})
    browser.post(feedback_url(article), {"helpful": "no", "csrfmiddlewaretoken": token})
    thanks = browser.get(first["Location"])

    assert first.status_code == 303
    assert first["Location"] == f"{article_url(article)}?feedback=sent#hc_feedback"
    assert "Thanks for letting us know!" in thanks.content.decode()
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (0, 1)
    assert ArticleFeedback.objects.get().reader_key != browser.session.session_key


def test_feedback_with_fetch_gets_json_and_two_readers_count_twice(portal):
    article = published(portal)
    for _ in range(2):
        browser = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER)
        token = csrf_token(browser, article)
        answer = browser.post(
            feedback_url(article),
            {"helpful": "yes", "csrfmiddlewaretoken": token},
            HTTP_ACCEPT="application/json",
        )
        assert answer.json() == {"message": "Thanks for letting us know!"}

    article.refresh_from_db()
    assert article.helpful_count == 2


def test_feedback_without_a_csrf_token_is_refused(portal):
    article = published(portal)

    answer = Client(enforce_csrf_checks=True).post(feedback_url(article), {"helpful": "yes"})

    assert answer.status_code == 403
    assert ArticleFeedback.objects.count() == 0


def test_feedback_that_is_not_yes_or_no_or_not_on_a_published_article_is_refused(reader, portal, writer):
    article = published(portal)
    draft = services.article_create(portal=portal, title="Draft", body="x", author=writer)

    nonsense = reader.post(feedback_url(article), {"helpful": "maybe"})
    on_draft = reader.post(feedback_url(draft), {"helpful": "yes"})
    read = reader.get(feedback_url(article))

    assert nonsense.status_code == 400
    assert "Answer yes or no." in nonsense.content.decode()
    assert on_draft.status_code == 404
    assert read.status_code == 405
    assert ArticleFeedback.objects.count() == 0


# --- crawlers ------------------------------------------------------------------------------------


def test_the_sitemap_lists_every_published_article_in_every_locale_with_lastmod(
    reader, portal, writer, django_assert_num_queries
):
    original = published(portal, writer)
    translation = published(portal, writer, locale="fr", title="Réinitialiser", translation_of=original)
    services.article_create(portal=portal, title="Draft", body="x", author=writer)

    with django_assert_num_queries(2):
        response = reader.get("/help/acme/sitemap.xml")

    xml = response.content.decode()
    assert response["Content-Type"].startswith("application/xml")
    assert "<loc>https://support.example.com/help/acme/en/</loc>" in xml
    assert f"<loc>https://support.example.com{article_url(original)}</loc>" in xml
    assert f"<loc>https://support.example.com{article_url(translation)}</loc>" in xml
    assert xml.count("<lastmod>") == 2
    assert f'hreflang="fr" href="https://support.example.com{article_url(translation)}"' in xml
    assert "draft" not in xml


def test_robots_txt_points_at_the_sitemap(reader, portal):
    response = reader.get("/help/acme/robots.txt")

    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: https://support.example.com/help/acme/sitemap.xml" in response.content.decode()


# --- theme and accessibility -------------------------------------------------------------------


@pytest.mark.parametrize("colour", ["#facc15", "#0f766e", "#ffffff", "#000000", "#2563eb", "#22c55e"])
def test_text_on_the_portal_colour_and_links_in_it_stay_readable(colour):
    theme = theme_for(colour)

    assert contrast(theme.brand, theme.on_brand) >= 4.5 or contrast(theme.brand, theme.on_brand) >= max(
        contrast(theme.brand, "#ffffff"), contrast(theme.brand, "#111827")
    )
    assert contrast(theme.brand_ink, "#ffffff") >= 4.5


def test_a_light_colour_gets_dark_text_and_a_broken_colour_falls_back(reader):
    assert theme_for("#facc15").on_brand == "#111827"
    assert theme_for("#1e3a8a").on_brand == "#ffffff"
    PortalFactory(slug="odd", color="red;}/*")  # stored around the model's validator

    html = reader.get("/help/odd/en/").content.decode()

    assert 'style="--brand: #2563eb; --on-brand: #ffffff; --brand-ink: #2563eb"' in html


def test_pages_have_landmarks_a_skip_link_and_a_labelled_search(reader, portal):
    published(portal)

    for path in (
        "/help/acme/en/",
        "/help/acme/en/search?q=password",
        "/help/acme/en/articles/reset-your-password/",
    ):
        page = Page(reader.get(path).content.decode())
        assert page.first("html")["lang"] == "en"
        assert page.first("a", class_="skip-link")["href"] == "#hc_main"
        assert page.first("main")["id"] == "hc_main"
        assert page.all("header") and page.all("footer")
        field = page.first("input", type="search")
        assert page.first("label", **{"for": field["id"]})
        assert len(page.all("h1")) == 1
