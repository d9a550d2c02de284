"""Help articles in the desk (/desk/kb/) and article links in replies, through Django's test client
on real Postgres: the editor writes through knowledge.services, its preview leaves raw HTML inert,
the services' refusals land next to their fields with nothing typed lost, agents write only for
the help centers of their inboxes, and the list and the link picker cost a fixed number of queries."""

import re
import struct
import zlib
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge.models import Article, ArticleImage
from knowledge.search import search_articles
from tests.factories.agents import AgentProfileFactory, InboxMembershipFactory, UserFactory
from tests.factories.conversations import ContactFactory, ConversationFactory, InboxFactory
from tests.knowledge.factories import ArticleFactory, CategoryFactory, PortalFactory, indexed_article

pytestmark = pytest.mark.django_db

LIST_QUERIES = 6  # session, user, profile, portals, rows, their translations
# session, user, conversation, portal; then search's own: full text with the shelf's stamp, the hits'
# articles, and a trigram pass only when full text found fewer than 3 (knowledge/search/text.py)
PICKER_QUERIES = 6


@pytest.fixture
def portal(inbox):
    portal = PortalFactory(name="Acme Help", slug="acme", locales=["fr"])
    portal.inboxes.add(inbox)
    return portal


@pytest.fixture
def writer(client, agent):
    client.force_login(agent)
    return client


def editor_post(client, url: str, **fields):
    form = {"title": "", "description": "", "body": "", "questions": "", "locale": "en", "category": ""}
    return client.post(url, {**form, **fields})


def text_of(response) -> str:
    return unescape(response.content.decode())


def field_error(response, field: str) -> str:
    """The refusal shown under `field` in the editor."""
    found = re.search(
        rf'<p class="field-error" id="{field}-error">(.*?)</p>', response.content.decode(), re.S
    )
    return unescape(found.group(1)) if found else ""


def article_id_of(response) -> int:
    assert response.status_code == 302, response.content[:800]
    return int(re.fullmatch(r"/desk/kb/(\d+)/", response["Location"]).group(1))


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


# --- writing ---


def test_an_agent_writes_a_draft_publishes_it_and_archives_it_through_the_services(writer, portal, agent):
    category = CategoryFactory(portal=portal, locale="en", name="Account")
    created = editor_post(
        writer,
        f"/desk/kb/new/?portal={portal.pk}",
        title="Reset your password",
        description="Get back into your account.",
        body="Open **Settings**, then *Security*.",
        questions="I forgot my password\n\n  How do I get back in?  \n",
        category=str(category.pk),
        intent="save",
    )
    article = Article.objects.get(pk=article_id_of(created))
    assert (article.status, article.portal, article.category, article.author) == (
        "draft",
        portal,
        category,
        agent,
    )
    assert article.slug == "reset-your-password"
    assert [q.text for q in article.questions.all()] == ["I forgot my password", "How do I get back in?"]
    assert search_articles(portal=portal, query="forgot password") == []  # drafts are not for readers

    published = editor_post(
        writer,
        f"/desk/kb/{article.pk}/",
        title="Reset your password",
        body="Open **Settings**, then *Security*, then Reset.",
        questions="I forgot my password",
        category=str(category.pk),
        intent="publish",
    )
    assert article_id_of(published) == article.pk
    article.refresh_from_db()
    assert article.status == "published" and article.published_at is not None
    assert article.body.endswith("then Reset.") and article.questions.count() == 1
    assert search_articles(portal=portal, query="forgot password")[0].article == article
    page = text_of(writer.get(f"/desk/kb/{article.pk}/"))
    assert "Published: readers and the answer bot see it now." in page
    assert "/help/acme/en/articles/reset-your-password/" in page  # "View in the help center"

    archived = editor_post(writer, f"/desk/kb/{article.pk}/", title="Reset your password", intent="archive")
    assert article_id_of(archived) == article.pk
    article.refresh_from_db()
    assert article.status == "archived"
    assert search_articles(portal=portal, query="forgot password") == []


def test_publishing_a_new_article_at_once_and_moving_it_back_to_drafts(writer, portal):
    created = editor_post(
        writer, f"/desk/kb/new/?portal={portal.pk}", title="Opening hours", intent="publish"
    )
    article = Article.objects.get(pk=article_id_of(created))
    assert article.status == "published"
    editor_post(writer, f"/desk/kb/{article.pk}/", title="Opening hours", intent="unpublish")
    article.refresh_from_db()
    assert article.status == "draft" and article.published_at is not None  # when it first went out


def test_the_preview_renders_markdown_and_leaves_script_inert(writer, portal):
    body = (
        "## Steps\n\n**Bold** [link](https://example.com)\n\n"
        "<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>"
    )
    response = writer.post("/desk/kb/preview/", {"title": "<b>Title</b>", "body": body})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in html and "<h3" in html  # headings move one level down
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror" in html  # shown as text, never run
    assert "&lt;b&gt;Title&lt;/b&gt;" in html


def test_the_preview_of_a_body_over_the_limit_says_so(writer, portal):
    response = writer.post("/desk/kb/preview/", {"body": "a" * 200_001})
    assert "the article is 200,001 characters long; an article can be at most 200,000" in text_of(response)


def test_a_megabyte_body_is_refused_with_the_services_message_and_nothing_typed_is_lost(writer, portal):
    body = "Lorem ipsum. " * 80_000  # 1,040,000 characters
    response = editor_post(
        writer,
        f"/desk/kb/new/?portal={portal.pk}",
        title="A very long article",
        questions="Why so long?",
        body=body,
        intent="publish",
    )
    assert response.status_code == 422
    assert field_error(response, "body") == (
        "The article is 1,040,000 characters long; an article can be at most 200,000 characters. "
        "Split it into several articles."
    )
    html = text_of(response)
    assert 'value="A very long article"' in html and "Why so long?</textarea>" in html
    assert body in html  # the text is still in the editor, to cut in two
    assert not Article.objects.exists()


def test_a_duplicate_slug_and_a_locale_the_portal_lacks_are_shown_on_their_fields(writer, portal):
    ArticleFactory(portal=portal, locale="en", slug="billing")
    taken = editor_post(
        writer, f"/desk/kb/new/?portal={portal.pk}", title="Invoices", slug="billing", body="Kept **text**"
    )
    assert taken.status_code == 422
    assert field_error(taken, "slug") == 'Another article in en already uses the slug "billing".'
    assert "Kept **text**</textarea>" in text_of(taken) and 'value="billing"' in text_of(taken)

    bad_locale = editor_post(writer, f"/desk/kb/new/?portal={portal.pk}", title="Invoices", locale="de")
    assert bad_locale.status_code == 422
    assert field_error(bad_locale, "locale").startswith('"de" is not one of the locales of the help center')
    assert '<option value="de" selected>' in bad_locale.content.decode()  # kept, to correct

    untitled = editor_post(writer, f"/desk/kb/new/?portal={portal.pk}", title="  ", body="Body only")
    assert field_error(untitled, "title") == "The title is required."
    assert Article.objects.count() == 1


def test_an_edit_refused_changes_nothing_and_keeps_the_edit_in_the_form(writer, portal):
    ArticleFactory(portal=portal, locale="en", slug="taken")
    article = ArticleFactory(portal=portal, locale="en", slug="mine", title="Mine", status="draft")
    response = editor_post(
        writer, f"/desk/kb/{article.pk}/", title="Renamed", slug="taken", body="New body", intent="publish"
    )
    assert response.status_code == 422
    assert field_error(response, "slug") == 'Another article in en already uses the slug "taken".'
    assert 'value="Renamed"' in text_of(response)
    article.refresh_from_db()
    assert (article.title, article.slug, article.status) == ("Mine", "mine", "draft")


def test_add_translation_makes_a_draft_in_another_locale_of_the_original(writer, portal, agent):
    CategoryFactory(portal=portal, locale="fr", slug="account", name="Compte")
    english = CategoryFactory(portal=portal, locale="en", slug="account", name="Account")
    original = indexed_article(
        portal=portal, locale="en", category=english, title="Reset your password", questions=("Forgot it?",)
    )
    response = writer.post(f"/desk/kb/{original.pk}/translate/", {"locale": "fr"})
    translation = Article.objects.get(pk=article_id_of(response))
    assert (translation.locale, translation.translation_of, translation.status) == ("fr", original, "draft")
    assert translation.category.name == "Compte" and translation.author == agent
    assert [q.text for q in translation.questions.all()] == ["Forgot it?"]
    page = text_of(writer.get(f"/desk/kb/{translation.pk}/"))
    assert "Translation of" in page and "A draft in fr, copied from the original" in page

    again = writer.post(f"/desk/kb/{translation.pk}/translate/", {"locale": "fr"}, follow=True)
    assert "already has a translation in fr" in text_of(again)
    assert Article.objects.filter(translation_of=original).count() == 1


def test_an_image_upload_answers_the_markdown_to_insert_and_refuses_what_is_not_an_image(
    writer, portal, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    image = SimpleUploadedFile("Settings page.png", tiny_png(), content_type="image/png")
    answer = writer.post(f"/desk/kb/portals/{portal.pk}/images/", {"file": image})
    assert answer.status_code == 201
    stored = ArticleImage.objects.get()
    assert answer.json()["markdown"] == f"![Settings page]({stored.file.url})"

    fake = SimpleUploadedFile("evil.png", b"<script>alert(1)</script>", content_type="image/png")
    refused = writer.post(f"/desk/kb/portals/{portal.pk}/images/", {"file": fake})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Upload a PNG, JPEG, GIF or WebP image; this file is none of them."
    assert ArticleImage.objects.count() == 1


# --- who may ---


def test_agents_write_only_for_the_help_centers_of_their_inboxes(writer, portal, client):
    elsewhere = PortalFactory(name="Other brand")
    elsewhere.inboxes.add(InboxFactory(name="Other inbox"))
    theirs = ArticleFactory(portal=elsewhere, title="Not yours")
    mine = ArticleFactory(portal=portal, title="Yours")
    listed = text_of(writer.get("/desk/kb/"))
    assert "Yours" in listed and "Not yours" not in listed and "Other brand" not in listed
    assert writer.get(f"/desk/kb/{theirs.pk}/").status_code == 404
    assert (
        editor_post(writer, f"/desk/kb/{theirs.pk}/", title="Mine now", intent="publish").status_code == 404
    )
    assert writer.post(f"/desk/kb/{theirs.pk}/translate/", {"locale": "fr"}).status_code == 404
    assert writer.get(f"/desk/kb/new/?portal={elsewhere.pk}").status_code == 404
    assert editor_post(writer, f"/desk/kb/new/?portal={elsewhere.pk}", title="Sneaky").status_code == 404
    assert writer.post(f"/desk/kb/portals/{elsewhere.pk}/images/").status_code == 404
    assert writer.get(f"/desk/kb/{mine.pk}/").status_code == 200
    theirs.refresh_from_db()
    assert theirs.title == "Not yours" and not Article.objects.filter(title="Sneaky").exists()

    client.force_login(UserFactory(username="staff-not-agent"))  # staff, but no agent profile
    assert client.get("/desk/kb/").status_code == 403
    client.force_login(UserFactory(username="root", is_superuser=True))
    assert "Not yours" in text_of(client.get("/desk/kb/"))


def test_with_several_help_centers_a_new_article_asks_which_first(writer, portal, inbox):
    second = PortalFactory(name="Acme Pro")
    second.inboxes.add(inbox)
    page = text_of(writer.get("/desk/kb/new/"))
    assert "Which help center is it for?" in page
    assert f"/desk/kb/new/?portal={second.pk}" in page and f"/desk/kb/new/?portal={portal.pk}" in page


def test_the_desk_header_links_to_the_help_articles(writer):
    assert 'href="/desk/kb/"' in writer.get("/desk/").content.decode()


# --- the list ---


def test_the_list_filters_by_portal_status_locale_and_words(writer, portal, inbox):
    other = PortalFactory(name="Acme Pro")
    other.inboxes.add(inbox)
    ArticleFactory(portal=portal, title="Refund policy", status="published")
    ArticleFactory(portal=portal, title="Shipping times", status="draft")
    ArticleFactory(portal=portal, locale="fr", title="Politique de retour", status="published")
    question = ArticleFactory(portal=other, title="Pro seats", status="archived")
    question.questions.create(text="How many people can use one licence?")

    def titles(**query) -> set[str]:
        html = writer.get("/desk/kb/", query, HTTP_HX_REQUEST="true").content.decode()
        return set(re.findall(r'class="title" href="[^"]+">([^<]+)</a>', html))

    assert titles() == {"Refund policy", "Shipping times", "Politique de retour", "Pro seats"}
    assert titles(portal=other.pk) == {"Pro seats"}
    assert titles(status="draft") == {"Shipping times"}
    assert titles(locale="fr") == {"Politique de retour"}
    assert titles(q="licence") == {"Pro seats"}  # by the questions it answers
    assert titles(q="refund", status="draft") == set()


def test_the_list_costs_the_same_queries_for_thirty_articles_as_for_three(writer, portal, agent):
    def count(url: str = "/desk/kb/") -> int:
        with CaptureQueriesContext(connection) as captured:
            response = writer.get(url)
        assert response.status_code == 200
        return len(captured)

    for n in range(3):
        article = ArticleFactory(portal=portal, title=f"Article {n}", author=agent)
        article.questions.create(text=f"Question {n}?")
    few = count()
    for n in range(27):
        article = ArticleFactory(portal=portal, title=f"More {n}", author=agent)
        ArticleFactory(portal=portal, locale="fr", translation_of=article, title=f"Plus {n}")
    assert few == count() == LIST_QUERIES


def test_the_list_pages_by_keyset(writer, portal):
    for n in range(55):
        ArticleFactory(portal=portal, title=f"Article {n:02}")
    first = writer.get("/desk/kb/").content.decode()
    more = re.search(r'hx-get="(/desk/kb/\?[^"]*after=\d+)"', first).group(1)
    second = writer.get(unescape(more), HTTP_HX_REQUEST="true").content.decode()
    shown = re.findall(r"Article \d\d", first) + re.findall(r"Article \d\d", second)
    assert sorted(shown) == [f"Article {n:02}" for n in range(55)]


# --- article links in replies ---


@pytest.fixture
def conversation_for_links(inbox, portal):
    return ConversationFactory(inbox=inbox, contact=ContactFactory(language="fr"))


def picker_items(response) -> list[str]:
    return [unescape(value) for value in re.findall(r'data-insert="([^"]*)"', response.content.decode())]


def test_the_link_picker_offers_published_articles_of_the_inboxs_help_center_in_the_customers_language(
    writer, portal, conversation_for_links, settings
):
    indexed_article(
        portal=portal,
        locale="fr",
        title="Réinitialiser le mot de passe",
        slug="mot-de-passe",
        questions=("J'ai oublié mon mot de passe",),
    )
    indexed_article(
        portal=portal,
        locale="fr",
        title="Mot de passe (brouillon)",
        status="draft",
        questions=("mot de passe oublié",),
    )
    indexed_article(portal=portal, locale="en", title="Reset your password", questions=("forgot password",))
    url = f"/desk/c/{conversation_for_links.pk}/articles/"
    found = picker_items(writer.get(url, {"q": "mot de passe oublié"}))
    link = f"Réinitialiser le mot de passe: {settings.PUBLIC_URL}/help/acme/fr/articles/mot-de-passe/"
    assert found == [link]  # not the draft, not the English one
    assert picker_items(writer.get(url)) == [link]  # before anything is typed: the most read

    too_long = writer.get(url, {"q": "x" * 600}).content.decode()
    assert "data-insert" not in too_long and 'class="none"' in too_long


def test_the_link_picker_says_when_the_inbox_has_no_help_center(writer, agent):
    inbox = InboxFactory(name="Bare inbox")
    InboxMembershipFactory(inbox=inbox, agent=agent)
    conversation = ConversationFactory(inbox=inbox)
    html = text_of(writer.get(f"/desk/c/{conversation.pk}/articles/", {"q": "password"}))
    assert "No help center is linked to Bare inbox." in html


def test_the_link_picker_is_only_for_the_agents_conversations(client, inbox, portal, conversation_for_links):
    outsider = AgentProfileFactory(display_name="Bo").user
    InboxMembershipFactory(inbox=InboxFactory(name="Elsewhere"), agent=outsider)
    client.force_login(outsider)
    assert client.get(f"/desk/c/{conversation_for_links.pk}/articles/", {"q": "x"}).status_code == 404


def test_the_link_picker_costs_the_same_queries_for_three_hits_as_for_eight(
    writer, portal, conversation_for_links
):
    url = f"/desk/c/{conversation_for_links.pk}/articles/"

    def count(query: str) -> tuple[int, int]:
        writer.get(url, {"q": query})  # the search's vector shelf is built on first use after a change
        with CaptureQueriesContext(connection) as captured:
            response = writer.get(url, {"q": query})
        return len(captured), len(picker_items(response))

    for n in range(3):
        indexed_article(portal=portal, locale="fr", title=f"Livraison {n}", questions=("Où est mon colis ?",))
    few = count("livraison colis")
    for n in range(10):
        indexed_article(
            portal=portal, locale="fr", title=f"Colis {n}: livraison", questions=("colis livraison",)
        )
    many = count("livraison colis")
    assert (few, many) == ((PICKER_QUERIES, 3), (PICKER_QUERIES, 8))
    assert count("livrasion")[0] == PICKER_QUERIES + 1  # a typo: full text finds nothing, trigrams run
    assert count("")[0] == PICKER_QUERIES - 1  # nothing typed: the most read, in one query
