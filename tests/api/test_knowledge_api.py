"""The knowledge base through the REST API: search, articles written through knowledge.services,
help centers; each agent reaching only the help centers of the inboxes they work."""

import pytest

from knowledge import services
from knowledge.links import article_url
from knowledge.models import Article, Portal
from knowledge.search import search_articles
from tests.knowledge.factories import CategoryFactory, PortalFactory, indexed_article

pytestmark = pytest.mark.django_db

Status = Article.Status


@pytest.fixture
def portal(inbox) -> Portal:
    """The help center of the agent's inbox, in English and French."""
    portal = PortalFactory(name="Acme help", slug="acme", locales=["fr"])
    portal.inboxes.add(inbox)
    return portal


@pytest.fixture
def other_portal(other_inbox) -> Portal:
    """The help center of an inbox the agent does not work."""
    portal = PortalFactory(name="Hidden help", slug="hidden")
    portal.inboxes.add(other_inbox)
    return portal


@pytest.fixture
def password_article(portal) -> Article:
    return indexed_article(
        portal=portal,
        title="Reset your password",
        description="Get back into your account.",
        body="Open **Settings**, then Security, then Reset password.",
        questions=("I forgot my password", "how do I change my password"),
    )


@pytest.fixture
def hidden_article(other_portal) -> Article:
    return indexed_article(portal=other_portal, title="Secret refunds", questions=("refund my order",))


def test_search_answers_the_best_articles_with_their_links(api, password_article, portal):
    indexed_article(portal=portal, title="Track your order", questions=("where is my parcel",))

    response = api.get("/api/v1/help/search", {"portal": "acme", "q": "I can't remember my password"})

    assert response.status_code == 200
    best = response.json()[0]
    assert best == {
        "id": password_article.pk,
        "title": "Reset your password",
        "locale": "en",
        "snippet": "Get back into your account.",
        "url": article_url(password_article),
        "score": best["score"],
        "matched_question": "I forgot my password",
    }
    assert best["url"].endswith(f"/help/acme/en/articles/{password_article.slug}/")
    assert isinstance(best["score"], float)


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"q": "   "}, "query_empty", "q"),
        ({"q": "password " * 60}, "query_too_long", "q"),
        ({"q": "password", "locale": "de"}, "unknown_locale", "locale"),
    ],
)
def test_a_search_that_cannot_run_is_a_400_with_its_code(api, password_article, query, code, field):
    response = api.get("/api/v1/help/search", {"portal": "acme", **query})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert list(body["field_errors"]) == [field]
    assert body["detail"] == body["field_errors"][field][0]


def test_a_search_without_its_parameters_is_invalid(api, portal):
    response = api.get("/api/v1/help/search", {"portal": "acme"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "q" in response.json()["field_errors"]


def test_a_search_of_drafts_or_another_inbox_s_help_center_finds_nothing(
    api, portal, other_portal, hidden_article
):
    indexed_article(portal=portal, title="Reset your password", status=Status.DRAFT)

    mine = api.get("/api/v1/help/search", {"portal": "acme", "q": "password"})
    theirs = api.get("/api/v1/help/search", {"portal": "hidden", "q": "refund my order"})

    assert mine.json() == []
    assert theirs.status_code == 404
    assert theirs.json()["code"] == "not_found"


def test_portals_are_those_of_the_agent_s_inboxes_and_admins_see_all(
    api, client_for, admin_user, portal, other_portal
):
    PortalFactory(name="Unlinked help", slug="unlinked")

    mine = api.get("/api/v1/portals").json()
    everything = client_for(admin_user).get("/api/v1/portals").json()

    assert [row["slug"] for row in mine["results"]] == ["acme"]
    assert mine["results"][0]["locales"] == ["en", "fr"]
    assert mine["results"][0]["url"].endswith("/help/acme/")
    assert [row["slug"] for row in everything["results"]] == ["acme", "hidden", "unlinked"]


def test_articles_list_filters_by_portal_status_and_locale(api, portal, password_article, hidden_article):
    draft = indexed_article(portal=portal, title="Coming soon", status=Status.DRAFT)
    french = indexed_article(portal=portal, title="Réinitialiser", locale="fr", category=None)

    def listed(**query) -> list[int]:
        response = api.get("/api/v1/articles", query)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert listed() == [password_article.pk, draft.pk, french.pk]
    assert listed(portal="acme", status="draft") == [draft.pk]
    assert listed(locale="fr") == [french.pk]
    assert listed(portal="hidden") == []
    assert "body" not in api.get("/api/v1/articles").json()["results"][0]


def test_an_invalid_list_filter_is_a_400(api, portal):
    response = api.get("/api/v1/articles", {"status": "gone"})

    assert response.status_code == 400
    assert "status" in response.json()["field_errors"]


def test_creating_an_article_goes_through_the_services_and_makes_it_searchable(api, agent, portal):
    category = CategoryFactory(portal=portal, locale="en")

    response = api.post(
        "/api/v1/articles",
        {
            "portal": "acme",
            "title": "Cancel your subscription",
            "body": "Go to **Billing** and choose Cancel.",
            "category_id": category.pk,
            "questions": ["How do I cancel my plan?", "stop my subscription"],
            "status": "published",
        },
    )

    assert response.status_code == 201, response.json()
    created = response.json()
    article = Article.objects.get(pk=created["id"])
    assert (article.slug, article.author, article.status, article.category) == (
        "cancel-your-subscription",
        agent,
        Status.PUBLISHED,
        category,
    )
    assert article.published_at is not None
    assert created["questions"] == ["How do I cancel my plan?", "stop my subscription"]
    assert created["body"] == "Go to **Billing** and choose Cancel."
    assert created["category_id"] == category.pk
    assert search_articles(portal=portal, query="how can I stop my plan")[0].article == article


def test_a_new_article_is_a_draft_in_the_portal_s_default_locale(api, portal):
    response = api.post("/api/v1/articles", {"portal": "acme", "title": "Shipping"})

    assert response.status_code == 201
    assert (response.json()["status"], response.json()["locale"], response.json()["body"]) == (
        "draft",
        "en",
        "",
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "Fine", "locale": "de"}, "locale"),
        ({"title": "Fine", "slug": "Not A Slug"}, "slug"),
        ({"title": "Fine", "questions": "one question"}, "questions"),
        ({"title": "Fine", "status": "gone"}, "status"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_an_article_the_rules_refuse_is_a_400_naming_the_field_and_nothing_is_stored(
    api, portal, body, field
):
    response = api.post("/api/v1/articles", {"portal": "acme", **body})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["field_errors"]
    assert not Article.objects.exists()


def test_a_category_of_another_locale_is_refused_on_category_id(api, portal):
    french = CategoryFactory(portal=portal, locale="fr")

    response = api.post("/api/v1/articles", {"portal": "acme", "title": "Fine", "category_id": french.pk})

    assert response.status_code == 400
    assert list(response.json()["field_errors"]) == ["category_id"]
    assert "choose one in en" in response.json()["detail"]


def test_an_article_reads_whole_with_its_body_and_questions(api, password_article):
    response = api.get(f"/api/v1/articles/{password_article.pk}")

    assert response.status_code == 200
    assert response.json()["body"] == "Open **Settings**, then Security, then Reset password."
    assert response.json()["questions"] == ["I forgot my password", "how do I change my password"]
    assert response.json()["portal"] == "acme"


def test_patch_changes_the_fields_given_replaces_the_questions_and_publishes(api, portal):
    article = services.article_create(
        portal=portal, title="Old title", body="Body", author=None, questions=["first question"]
    )

    response = api.patch(
        f"/api/v1/articles/{article.pk}",
        {"title": "Track your parcel", "questions": ["where is my parcel"], "status": "published"},
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["title"], response.json()["body"]) == ("Track your parcel", "Body")
    assert response.json()["questions"] == ["where is my parcel"]
    article.refresh_from_db()
    assert (article.status, article.published_at is not None) == (Status.PUBLISHED, True)
    assert search_articles(portal=portal, query="where is my parcel")[0].article == article


def test_patch_refused_by_the_rules_is_a_400_and_changes_nothing(api, portal, password_article):
    other = indexed_article(portal=portal, title="Other", slug="taken")

    response = api.patch(
        f"/api/v1/articles/{password_article.pk}",
        {"title": "New title", "slug": "taken", "status": "archived"},
    )

    assert response.status_code == 400
    assert list(response.json()["field_errors"]) == ["slug"]
    password_article.refresh_from_db()
    assert (password_article.title, password_article.status) == ("Reset your password", Status.PUBLISHED)
    assert other.slug == "taken"


def test_another_inbox_s_articles_are_not_found_by_any_door(api, portal, hidden_article, other_portal):
    url = f"/api/v1/articles/{hidden_article.pk}"
    category = CategoryFactory(portal=other_portal)

    doors = [api.get(url), api.patch(url, {"title": "Mine now"})]
    create_there = api.post("/api/v1/articles", {"portal": "hidden", "title": "Sneaky"})
    their_category = api.post(
        "/api/v1/articles", {"portal": "acme", "title": "Sneaky", "category_id": category.pk}
    )
    translate_theirs = api.post(
        "/api/v1/articles", {"portal": "acme", "title": "Sneaky", "translation_of_id": hidden_article.pk}
    )

    assert [door.status_code for door in doors] == [404, 404]
    assert {door.json()["code"] for door in doors} == {"not_found"}
    assert [create_there.status_code, their_category.status_code, translate_theirs.status_code] == [400] * 3
    assert "portal" in create_there.json()["field_errors"]
    assert "category_id" in their_category.json()["field_errors"]
    assert "translation_of_id" in translate_theirs.json()["field_errors"]
    hidden_article.refresh_from_db()
    assert hidden_article.title == "Secret refunds"
    assert not Article.objects.filter(title="Sneaky").exists()
    assert api.get("/api/v1/articles").json()["results"] == []


def test_an_admin_reaches_every_help_center(client_for, admin_user, hidden_article):
    admin_api = client_for(admin_user)

    assert admin_api.get(f"/api/v1/articles/{hidden_article.pk}").status_code == 200
    assert admin_api.get("/api/v1/help/search", {"portal": "hidden", "q": "refund"}).status_code == 200


@pytest.mark.parametrize("rows", [1, 5])
@pytest.mark.parametrize(
    ("url", "pinned"),
    [
        ("/api/v1/articles", 3),  # token, count, page (with portals)
        ("/api/v1/portals", 3),  # token, count, page
    ],
)
def test_knowledge_lists_cost_the_same_queries_for_one_row_as_for_many(
    api, inbox, rows, url, pinned, django_assert_num_queries
):
    for n in range(rows):
        portal = PortalFactory()
        portal.inboxes.add(inbox)
        indexed_article(portal=portal, questions=(f"question {n}",))

    with django_assert_num_queries(pinned):
        response = api.get(url)

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [3, 8])  # fewer than 3 words matched: search adds a trigram pass
def test_search_and_an_article_cost_the_same_queries_whatever_they_hold(
    api, portal, rows, django_assert_num_queries
):
    for n in range(rows):
        article = indexed_article(portal=portal, title=f"Password help {n}", questions=(f"password {n}?",))
    api.get("/api/v1/help/search", {"portal": "acme", "q": "password"})  # the shelf is built once

    with django_assert_num_queries(4):  # token, portal, full-text scores with the shelf's stamp, articles
        search = api.get("/api/v1/help/search", {"portal": "acme", "q": "password", "limit": 20})
    with django_assert_num_queries(3):  # token, article with its portal, questions
        detail = api.get(f"/api/v1/articles/{article.pk}")

    assert len(search.json()) == rows
    assert detail.status_code == 200
