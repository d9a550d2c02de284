"""The knowledge base's writes: what they store, what they refuse (in words a person can act on,
with nothing stored), and that search sees every change they make."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from knowledge import services
from knowledge.models import Article, ArticleFeedback, ArticleImage, ArticleQuestion, Category, Portal
from knowledge.search import search_articles
from knowledge.search.embedding import MODEL_NAME
from tests.admin.formdata import form_data
from tests.factories.agents import UserFactory
from tests.knowledge.factories import ArticleFactory, CategoryFactory, PortalFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 32


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Writers and admins are made per test; the production hasher would spend seconds on each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def portal() -> Portal:
    return PortalFactory(name="Acme", slug="acme", default_locale="en", locales=["fr"])


@pytest.fixture
def writer():
    return UserFactory(first_name="Ada", last_name="Lovelace")


def create(portal: Portal, writer, **fields) -> Article:
    return services.article_create(
        **{"portal": portal, "title": "Reset your password", "body": "Go to **Settings**.", "author": writer}
        | fields
    )


def refusal(error: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return " ".join(error.value.message_dict[field])


# --- article_create ---------------------------------------------------------------------------


def test_an_article_is_created_as_a_draft_in_the_default_locale_with_a_slug_from_its_title(portal, writer):
    article = create(portal, writer, questions=["I forgot my password", "  ", "I forgot my password"])

    assert (article.status, article.locale, article.slug) == ("draft", "en", "reset-your-password")
    assert article.author == writer
    assert article.published_at is None
    assert list(article.questions.values_list("text", flat=True)) == ["I forgot my password"]


def test_slugs_are_numbered_on_collision_within_a_portal_and_locale(portal, writer):
    first = create(portal, writer)
    second = create(portal, writer)
    third = create(portal, writer, title="Reset your password!")
    in_french = create(portal, writer, locale="fr")
    elsewhere = create(PortalFactory(), writer)

    assert [first.slug, second.slug, third.slug] == [
        "reset-your-password",
        "reset-your-password-2",
        "reset-your-password-3",
    ]
    assert in_french.slug == elsewhere.slug == "reset-your-password"


def test_a_title_with_no_latin_letters_still_gets_a_slug(portal, writer):
    assert create(portal, writer, title="パスワードを変更する").slug == "article"


def test_a_given_slug_that_is_taken_is_refused_on_the_slug_field(portal, writer):
    create(portal, writer, slug="password")

    with pytest.raises(ValidationError) as error:
        create(portal, writer, title="Other", slug="password")

    assert refusal(error, "slug") == 'Another article in en already uses the slug "password".'
    assert Article.objects.count() == 1


def test_a_published_article_gets_its_published_at(portal, writer):
    assert create(portal, writer, status="published").published_at is not None


def test_creating_indexes_the_article_for_search_in_the_same_write(portal, writer):
    article = create(portal, writer, status="published", questions=["How do I change my login secret?"])

    article.refresh_from_db()
    assert article.embedding_model == MODEL_NAME
    assert article.questions.get().embedding_model == MODEL_NAME
    assert search_articles(portal=portal, query="reset password")[0].article == article


def test_a_one_megabyte_body_is_refused_with_the_limit_and_nothing_is_stored(portal, writer):
    with pytest.raises(ValidationError) as error:
        create(portal, writer, body="x" * 1_048_576, questions=["Why?"])

    assert refusal(error, "body") == (
        "The article is 1,048,576 characters long; an article can be at most 200,000 characters. "
        "Split it into several articles."
    )
    assert Article.objects.count() == ArticleQuestion.objects.count() == 0


def test_a_body_at_the_limit_is_kept_whole(portal, writer):
    body = "a" * services.MAX_ARTICLE_BODY

    assert len(create(portal, writer, body=body).body) == services.MAX_ARTICLE_BODY


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"title": ""}, "title", "The title is required."),
        ({"title": "   "}, "title", "The title is required."),
        ({"title": "t" * 201}, "title", "The title is 201 characters long; it can be at most 200."),
        ({"title": "Bad\x00title"}, "title", "The title holds a NUL character"),
        ({"body": "lone \ud800 surrogate"}, "body", "The body holds a NUL character or a broken character"),
        ({"description": "d" * 301}, "description", "it can be at most 300."),
        (
            {"questions": ["q" * 501]},
            "questions",
            "The question 1 is 501 characters long; it can be at most 500.",
        ),
        ({"questions": [f"Question {n}?" for n in range(51)]}, "questions", "at most 50 questions"),
        ({"questions": "one question"}, "questions", "The questions are a list of sentences."),
        ({"questions": ["ok", "\x00"]}, "questions", "The question 2 holds a NUL character"),
        ({"locale": "de"}, "locale", '"de" is not one of the locales of the help center "Acme" (en, fr).'),
        ({"slug": "Not A Slug"}, "slug", "lowercase letters, digits and hyphens"),
        ({"status": "deleted"}, "status", "The status is one of draft, published, archived."),
    ],
)
def test_bad_input_is_refused_in_words_on_its_field_and_nothing_is_stored(
    portal, writer, fields, field, words
):
    with pytest.raises(ValidationError) as error:
        create(portal, writer, **fields)

    assert words in refusal(error, field)
    assert Article.objects.count() == 0


def test_a_category_must_be_of_the_same_portal_and_locale(portal, writer):
    french = CategoryFactory(portal=portal, locale="fr", name="Compte")
    foreign = CategoryFactory(name="Billing")

    with pytest.raises(ValidationError) as wrong_locale:
        create(portal, writer, category=french)
    with pytest.raises(ValidationError) as wrong_portal:
        create(portal, writer, category=foreign)

    assert refusal(wrong_locale, "category") == 'The category "Compte" is in fr; choose one in en.'
    assert refusal(wrong_portal, "category") == 'The category "Billing" belongs to another help center.'


def test_a_translation_points_at_an_original_in_another_locale_of_the_same_portal(portal, writer):
    original = create(portal, writer)
    translation = create(portal, writer, title="Réinitialiser", locale="fr", translation_of=original)

    assert translation.translation_of == original
    with pytest.raises(ValidationError) as same_locale:
        create(portal, writer, translation_of=original)
    with pytest.raises(ValidationError) as of_a_translation:
        create(portal, writer, locale="en", translation_of=translation)
    with pytest.raises(ValidationError) as second_in_locale:
        create(portal, writer, locale="fr", translation_of=original)
    with pytest.raises(ValidationError) as other_portal:
        create(PortalFactory(locales=["fr"]), writer, locale="fr", translation_of=original)

    assert "is in en too" in refusal(same_locale, "translation_of")
    assert "is itself a translation" in refusal(of_a_translation, "translation_of")
    assert "already has a translation in fr" in refusal(second_in_locale, "translation_of")
    assert "belongs to another help center" in refusal(other_portal, "translation_of")


# --- article_update and article_set_status ----------------------------------------------------


def test_an_update_changes_the_fields_given_and_reindexes_changed_text(portal, writer):
    article = create(portal, writer, status="published")
    indexed_at = Article.objects.get(pk=article.pk).updated_at

    services.article_update(article=article, actor=writer, title="Change your password", body="New body")

    stored = Article.objects.get(pk=article.pk)
    assert (stored.title, stored.body, stored.slug) == (
        "Change your password",
        "New body",
        "reset-your-password",
    )
    assert stored.updated_at > indexed_at
    assert search_articles(portal=portal, query="change password")[0].article == article


def test_questions_are_replaced_and_unchanged_ones_keep_their_rows(portal, writer):
    article = create(portal, writer, questions=["Kept?", "Dropped?"])
    kept = article.questions.get(text="Kept?")

    services.article_update(article=article, actor=writer, questions=["Kept?", "New?"])
    services.article_update(article=article, actor=writer, questions=None, title="Same questions")

    assert list(article.questions.order_by("pk").values_list("pk", "text")) == [
        (kept.pk, "Kept?"),
        (article.questions.get(text="New?").pk, "New?"),
    ]


def test_an_update_that_breaks_a_rule_changes_nothing(portal, writer):
    article = create(portal, writer, questions=["Kept?"])

    with pytest.raises(ValidationError):
        services.article_update(article=article, actor=writer, title="New", body="b" * 200_001)
    with pytest.raises(TypeError):
        services.article_update(article=article, actor=writer, status="published")

    stored = Article.objects.get(pk=article.pk)
    assert (stored.title, stored.status) == ("Reset your password", "draft")


def test_an_original_with_translations_cannot_become_a_translation(portal, writer):
    original = create(portal, writer)
    create(portal, writer, locale="fr", translation_of=original)
    other = create(portal, writer, title="Autre", locale="fr")

    with pytest.raises(ValidationError) as error:
        services.article_update(article=original, actor=writer, translation_of=other)

    assert refusal(error, "translation_of") == (
        "This article has translations of its own, so it cannot be a translation."
    )


def test_published_at_is_set_on_first_publish_and_kept_after(portal, writer, clock):
    article = create(portal, writer)

    services.article_set_status(article=article, status="published", actor=writer)
    first = article.published_at
    clock.advance(days=1)
    services.article_set_status(article=article, status="archived", actor=writer)
    services.article_set_status(article=article, status="published", actor=writer)

    stored = Article.objects.get(pk=article.pk)
    assert first is not None
    assert (stored.status, stored.published_at) == ("published", first)


def test_archiving_takes_an_article_out_of_search(portal, writer):
    article = create(portal, writer, status="published")
    assert search_articles(portal=portal, query="reset password")

    services.article_set_status(article=article, status="archived", actor=writer)

    assert search_articles(portal=portal, query="reset password") == []


# --- readers: views and feedback --------------------------------------------------------------


def test_a_view_is_one_update_that_leaves_updated_at_alone(portal, django_assert_num_queries):
    article = ArticleFactory(portal=portal)
    updated_at = article.updated_at

    with django_assert_num_queries(1):
        services.article_record_view(article_id=article.pk)
    services.article_record_view(article_id=article.pk)

    stored = Article.objects.get(pk=article.pk)
    assert (stored.view_count, stored.updated_at) == (2, updated_at)


def counts(article: Article) -> tuple[int, int]:
    article.refresh_from_db()
    return article.helpful_count, article.unhelpful_count


def test_one_vote_per_reader_and_a_changed_vote_moves_the_counts(portal):
    article = ArticleFactory(portal=portal)

    services.article_record_feedback(article=article, helpful=True, reader_key="reader-1")
    services.article_record_feedback(article=article, helpful=True, reader_key="reader-1")
    assert counts(article) == (1, 0)
    services.article_record_feedback(article=article, helpful=False, reader_key="reader-1")
    assert counts(article) == (0, 1)
    services.article_record_feedback(article=article, helpful=False, reader_key="reader-2")
    assert counts(article) == (0, 2)
    assert ArticleFeedback.objects.filter(article=article).count() == 2


def test_counts_never_go_below_zero(portal):
    article = ArticleFactory(portal=portal)
    services.article_record_feedback(article=article, helpful=True, reader_key="reader-1")
    Article.objects.filter(pk=article.pk).update(helpful_count=0)  # counts lost, say, to a restore

    services.article_record_feedback(article=article, helpful=False, reader_key="reader-1")

    assert counts(article) == (0, 1)


def test_feedback_is_only_for_published_articles_and_real_reader_keys(portal):
    draft = ArticleFactory(portal=portal, status="draft")
    published = ArticleFactory(portal=portal)

    with pytest.raises(ValidationError):
        services.article_record_feedback(article=draft, helpful=True, reader_key="reader-1")
    with pytest.raises(ValidationError):
        services.article_record_feedback(article=published, helpful=True, reader_key="")
    assert ArticleFeedback.objects.count() == 0


# --- images ------------------------------------------------------------------------------------


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return tmp_path


def test_an_image_is_judged_by_its_content_and_named_after_what_it_is(portal, writer, media_root):
    image = services.image_upload(
        portal=portal,
        uploaded_file=SimpleUploadedFile("screenshot.html", PNG, content_type="text/html"),
        actor=writer,
    )

    assert isinstance(image, ArticleImage)
    assert (image.mime_type, image.byte_size, image.uploaded_by) == ("image/png", len(PNG), writer)
    assert image.file.name.startswith(f"help/{portal.pk}/")
    assert image.file.name.endswith("/screenshot.png")
    assert (media_root / image.file.name).read_bytes() == PNG


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.png", b"<svg onload=alert(1)></svg>"),
        ("page.gif", b"<html><script>alert(1)</script></html>"),
        ("doc.png", b"%PDF-1.7 not an image"),
        ("empty.png", b""),
    ],
)
def test_what_is_not_an_image_is_refused_and_not_stored(portal, writer, media_root, name, content):
    with pytest.raises(ValidationError) as error:
        services.image_upload(portal=portal, uploaded_file=SimpleUploadedFile(name, content), actor=writer)

    assert error.value.message_dict["file"]
    assert ArticleImage.objects.count() == 0
    assert not any(media_root.rglob("*.*"))


def test_an_image_over_the_size_limit_is_refused(portal, writer, media_root):
    big = SimpleUploadedFile("big.gif", GIF + b"\x00" * services.MAX_IMAGE_BYTES)

    with pytest.raises(ValidationError) as error:
        services.image_upload(portal=portal, uploaded_file=big, actor=writer)

    assert "images can be at most 5 MB" in refusal(error, "file")


# --- portals and categories --------------------------------------------------------------------


def test_a_portal_gets_a_slug_from_its_name_and_checked_settings(media_root):
    first = services.portal_create(name="Acme Help", locales=["fr", "en", "fr"], color="#FACC15")
    second = services.portal_create(name="Acme Help", logo=SimpleUploadedFile("l.gif", GIF))

    assert (first.slug, second.slug) == ("acme-help", "acme-help-2")
    assert (first.locales, first.color, first.all_locales) == (["fr"], "#facc15", ["en", "fr"])
    assert second.logo.name.endswith(".gif")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"color": "red"}, "color"),
        ({"color": "#12345g"}, "color"),
        ({"locales": ["fr", "not a locale"]}, "locales"),
        ({"locales": "fr"}, "locales"),
        ({"default_locale": ""}, "default_locale"),
        ({"name": ""}, "name"),
        ({"slug": "has space"}, "slug"),
        ({"logo": SimpleUploadedFile("x.png", b"<svg/>")}, "logo"),
    ],
)
def test_bad_portal_settings_are_refused_on_their_field(media_root, fields, field):
    with pytest.raises(ValidationError) as error:
        services.portal_create(**{"name": "Acme"} | fields)

    assert error.value.message_dict[field]
    assert Portal.objects.count() == 0


def test_a_locale_that_still_has_articles_cannot_be_removed(portal, writer):
    create(portal, writer, locale="fr")

    with pytest.raises(ValidationError) as error:
        services.portal_update(portal=portal, locales=[])
    services.portal_update(portal=portal, locales=["fr", "de"], tagline="Answers")

    assert "still has articles or categories in fr" in refusal(error, "locales")
    assert Portal.objects.get(pk=portal.pk).all_locales == ["en", "fr", "de"]


def test_categories_get_slugs_per_locale_and_keep_their_locale_while_they_hold_articles(portal, writer):
    account = services.category_create(portal=portal, name="Your account")
    compte = services.category_create(portal=portal, name="Your account", locale="fr")
    create(portal, writer, category=account)

    with pytest.raises(ValidationError) as error:
        services.category_update(category=account, locale="fr")
    services.category_update(category=account, name="Account", position=2)

    assert account.slug == compte.slug == "your-account"
    assert "move them to another category" in refusal(error, "locale")
    assert Category.objects.get(pk=account.pk).name == "Account"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="search_vector is Postgres only")
def test_the_full_text_document_follows_the_questions(portal, writer):
    article = create(portal, writer, status="published", questions=["How do I unlock my account?"])

    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM knowledge_article WHERE id = %s", [article.pk])
        document = cursor.fetchone()[0]

    assert "unlock" in document


def test_an_uploaded_file_object_is_read_from_its_start(portal, writer, media_root):
    upload = SimpleUploadedFile("pic.gif", GIF)
    upload.file = io.BytesIO(GIF)
    upload.file.seek(10)

    assert services.image_upload(portal=portal, uploaded_file=upload, actor=writer).mime_type == "image/gif"


# --- the admin: a door to the same services ----------------------------------------------------


def admin_url(model: str, action: str, *args) -> str:
    return reverse(f"admin:knowledge_{model}_{action}", args=args)


def article_form(admin_client, portal: Portal, **fields) -> dict:
    data = form_data(admin_client.get(admin_url("article", "add")))
    return (
        data
        | {"portal": str(portal.pk), "locale": "en", "title": "Reset your password", "body": "Hi"}
        | fields
    )


def test_an_article_added_in_the_admin_is_created_by_the_service_with_its_questions(
    admin_client, admin_user, portal
):
    data = article_form(admin_client, portal, **{"questions-0-text": "I forgot my password"})

    response = admin_client.post(admin_url("article", "add"), data)

    article = Article.objects.get()
    assert response.status_code == 302
    assert (article.slug, article.author, article.embedding_model) == (
        "reset-your-password",
        admin_user,
        MODEL_NAME,
    )
    assert list(article.questions.values_list("text", flat=True)) == ["I forgot my password"]


def test_the_admin_shows_a_service_refusal_on_its_field_and_stores_nothing(admin_client, portal):
    french = CategoryFactory(portal=portal, locale="fr", name="Compte")
    too_long = article_form(admin_client, portal, body="x" * 1_048_576)
    wrong_category = article_form(admin_client, portal, category=str(french.pk))

    body_errors = admin_client.post(admin_url("article", "add"), too_long).context["adminform"].form.errors
    category_errors = (
        admin_client.post(admin_url("article", "add"), wrong_category).context["adminform"].form.errors
    )

    assert "at most 200,000 characters" in body_errors["body"][0]
    assert category_errors["category"] == ['The category "Compte" is in fr; choose one in en.']
    assert Article.objects.count() == 0


def test_an_article_changed_in_the_admin_is_updated_by_the_service(admin_client, portal, writer):
    article = create(portal, writer, questions=["Old question?"])
    url = admin_url("article", "change", article.pk)
    data = form_data(admin_client.get(url)) | {
        "title": "Change your password",
        "questions-0-text": "New question?",
        "status": "published",
    }

    response = admin_client.post(url, data)

    article.refresh_from_db()
    assert response.status_code == 302
    assert (article.title, article.status, article.slug) == (
        "Change your password",
        "published",
        "reset-your-password",
    )
    assert article.published_at is not None
    assert list(article.questions.values_list("text", flat=True)) == ["New question?"]
    assert search_articles(portal=portal, query="new question")[0].article == article


def test_publish_and_archive_actions_go_through_the_service(admin_client, portal, writer):
    articles = [create(portal, writer), create(portal, writer)]
    url = admin_url("article", "changelist")
    selected = [str(article.pk) for article in articles]

    admin_client.post(url, {"action": "publish_selected", "_selected_action": selected})
    published_at = Article.objects.get(pk=articles[0].pk).published_at
    admin_client.post(url, {"action": "archive_selected", "_selected_action": selected[:1]})

    assert list(Article.objects.order_by("pk").values_list("status", flat=True)) == ["archived", "published"]
    assert published_at is not None
    assert Article.objects.get(pk=articles[0].pk).published_at == published_at


def test_the_admin_preview_renders_hostile_markdown_inert(admin_client, portal, writer):
    article = create(
        portal, writer, body="<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    )

    html = admin_client.get(admin_url("article", "change", article.pk)).content.decode()
    preview = html.split('<div class="knowledge-preview">', 1)[1].split("</div>", 1)[0]

    assert "<script" not in preview and "onerror=" not in preview.replace("onerror=alert(3)&gt;", "")
    assert "javascript:" not in preview.replace("[x](javascript:alert(2))", "")
    assert "&lt;script&gt;" in preview


@pytest.mark.parametrize("rows", [3, 12])
def test_the_article_list_costs_the_same_for_3_or_12_rows(
    admin_client, portal, django_assert_num_queries, rows
):
    for number in range(rows):
        ArticleFactory(portal=portal, title=f"Article {number}")

    # session, user, the portal and locale filters' choices, count, full count, the page (joined)
    with django_assert_num_queries(7):
        response = admin_client.get(admin_url("article", "changelist"))

    assert len(response.context["cl"].result_list) == rows


def test_a_portal_added_in_the_admin_takes_its_locales_as_a_list(admin_client):
    data = form_data(admin_client.get(admin_url("portal", "add"))) | {
        "name": "Acme Help",
        "locales": "fr, de  pt-BR",
        "color": "#0F766E",
    }

    response = admin_client.post(admin_url("portal", "add"), data)

    portal = Portal.objects.get()
    assert response.status_code == 302
    assert (portal.slug, portal.locales, portal.color) == ("acme-help", ["fr", "de", "pt-BR"], "#0f766e")


def test_the_admin_refuses_to_drop_a_locale_that_has_articles(admin_client, portal, writer):
    create(portal, writer, locale="fr")
    url = admin_url("portal", "change", portal.pk)

    response = admin_client.post(url, form_data(admin_client.get(url)) | {"locales": ""})

    assert "still has articles or categories in fr" in response.context["adminform"].form.errors["locales"][0]
    assert Portal.objects.get(pk=portal.pk).locales == ["fr"]


def test_images_are_uploaded_through_the_service_and_judged_by_content(admin_client, portal, media_root):
    url = admin_url("articleimage", "add")

    refused = admin_client.post(url, {"portal": portal.pk, "file": SimpleUploadedFile("x.png", b"<svg/>")})
    taken = admin_client.post(url, {"portal": portal.pk, "file": SimpleUploadedFile("shot.webp", PNG)})

    assert "PNG, JPEG, GIF or WebP" in refused.context["adminform"].form.errors["file"][0]
    assert taken.status_code == 302
    assert ArticleImage.objects.get().file.name.endswith("/shot.png")


def test_feedback_is_read_only_in_the_admin(admin_client, portal):
    article = ArticleFactory(portal=portal)
    services.article_record_feedback(article=article, helpful=True, reader_key="reader-1")
    feedback = ArticleFeedback.objects.get()

    assert admin_client.get(admin_url("articlefeedback", "changelist")).status_code == 200
    assert admin_client.get(admin_url("articlefeedback", "add")).status_code == 403
    assert (
        admin_client.post(admin_url("articlefeedback", "delete", feedback.pk), {"post": "yes"}).status_code
        == 403
    )


def test_an_edit_keeps_the_counts_readers_moved_meanwhile(portal, writer):
    article = create(portal, writer, status="published")
    services.article_record_view(article_id=article.pk)  # after the editor loaded the article
    services.article_record_feedback(article=article, helpful=True, reader_key="reader-1")

    services.article_update(article=article, actor=writer, title="Edited", questions=["New?"])

    stored = Article.objects.get(pk=article.pk)
    assert (stored.title, stored.view_count, stored.helpful_count) == ("Edited", 1, 1)
