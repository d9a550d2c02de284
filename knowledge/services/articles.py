"""Articles: writing, translating, publishing. Every write that changes what search reads (title,
description, body, questions, locale) re-indexes the article in the same transaction, so search
never sees text it has not indexed."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import indexing
from ..models import Article, ArticleQuestion, Category, Portal
from .checks import checked_locale, checked_position, checked_slug, checked_text, free_slug, refuse

MAX_ARTICLE_BODY = 200_000
MAX_TITLE = 200
MAX_DESCRIPTION = 300
MAX_QUESTIONS = 50
MAX_QUESTION = 500
MAX_SLUG = 120
ARTICLE_FIELDS = frozenset(
    {"title", "body", "description", "category", "slug", "locale", "translation_of", "position", "questions"}
)
SEARCHABLE = frozenset({"title", "body", "description", "locale", "questions"})
SLUG_ATTEMPTS = 3  # a generated slug taken by a concurrent write between check and insert: try again


def article_create(
    *,
    portal: Portal,
    title: str,
    body: str,
    author: AbstractBaseUser | None,
    locale: str | None = None,
    category: Category | None = None,
    description: str = "",
    questions: Iterable[str] = (),
    status: str = Article.Status.DRAFT,
    translation_of: Article | None = None,
    slug: str | None = None,
    position: int = 0,
) -> Article:
    """A new article of `portal` in `locale` (the portal's default when None), with the questions
    it answers, indexed for search. The slug is made from the title when not given, numbered when
    taken in the portal and locale. `translation_of` is the original, in another locale of the same
    portal. Published now: published_at is now. Raises ValidationError, keyed by the field, with
    nothing stored."""
    if status not in Article.Status.values:
        raise refuse("status", f"The status is one of {', '.join(Article.Status.values)}.")
    values = article_validate(
        article=None,
        portal=portal,
        title=title,
        body=body,
        locale=locale,
        category=category,
        description=description,
        questions=questions,
        translation_of=translation_of,
        slug=slug,
        position=position,
    )
    texts = values.pop("questions")
    for attempt in range(SLUG_ATTEMPTS):
        try:
            with transaction.atomic():
                article = Article(portal=portal, author=author, status=status, **values)
                if slug is None:
                    same_shelf = Article.objects.filter(portal=portal, locale=values["locale"])
                    article.slug = free_slug(title, same_shelf, max_length=MAX_SLUG, fallback="article")
                if status == Article.Status.PUBLISHED:
                    article.published_at = timezone.now()
                article.save()
                ArticleQuestion.objects.bulk_create(ArticleQuestion(article=article, text=t) for t in texts)
                indexing.index_article(article)
                return article
        except IntegrityError:
            if slug is not None or attempt == SLUG_ATTEMPTS - 1:
                _refuse_conflict(portal, values, slug)
    raise AssertionError("unreachable")  # pragma: no cover


def article_update(*, article: Article, actor: AbstractBaseUser | None, **fields: Any) -> Article:
    """Change the given fields (ARTICLE_FIELDS) of `article`. `questions`: the full new list, or
    None to leave them; a question kept word for word keeps its row (and its vector). Re-indexed
    when searchable text changed. Status changes go through article_set_status. Raises
    ValidationError, keyed by the field, with nothing changed."""
    unknown = set(fields) - ARTICLE_FIELDS
    if unknown:
        raise TypeError(f"article_update() got unexpected fields: {', '.join(sorted(unknown))}")
    if fields.get("questions", ()) is None:
        del fields["questions"]
    values = article_validate(article=article, portal=article.portal, **fields)
    texts = values.pop("questions", None)
    changed = [field for field, value in values.items() if getattr(article, field) != value]
    try:
        with transaction.atomic():
            for field in changed:
                setattr(article, field, values[field])
            questions_changed = texts is not None and _replace_questions(article, texts)
            if changed or questions_changed:
                # Only what changed: a full save would write back counts readers moved meanwhile.
                article.save(update_fields=[*changed, "updated_at"])
            if questions_changed or SEARCHABLE.intersection(changed):
                indexing.index_article(article)
    except IntegrityError:
        article.refresh_from_db()
        _refuse_conflict(article.portal, values, values.get("slug"))
    return article


def article_set_status(*, article: Article, status: str, actor: AbstractBaseUser | None) -> Article:
    """Move `article` to draft, published or archived, and re-index it (search reads the status).
    published_at is set on its first publish and kept after (it says when it first went out).
    Setting the status it has changes nothing."""
    if status not in Article.Status.values:
        raise refuse("status", f"The status is one of {', '.join(Article.Status.values)}.")
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if locked.status == status:
            return locked
        locked.status = status
        if status == Article.Status.PUBLISHED and locked.published_at is None:
            locked.published_at = timezone.now()
        locked.save(update_fields=["status", "published_at", "updated_at"])
        indexing.index_article(locked)  # search leaves archived articles out, and masks drafts
    article.status, article.published_at, article.updated_at = (
        locked.status,
        locked.published_at,
        locked.updated_at,
    )
    return article


def article_validate(*, article: Article | None, portal: Portal, **fields: Any) -> dict[str, Any]:
    """The given article fields, checked and cleaned; `article` is None for a new one. Forms call it
    to show errors on their fields before saving; article_create and article_update call it too."""
    values: dict[str, Any] = {}
    if "body" in fields:  # first: a body of a megabyte is refused before anything else reads it
        values["body"] = _checked_body(fields["body"])
    if "title" in fields:
        values["title"] = checked_text(
            fields["title"], field="title", label="title", max_length=MAX_TITLE, required=True
        )
    if "description" in fields:
        values["description"] = checked_text(
            fields["description"], field="description", label="description", max_length=MAX_DESCRIPTION
        )
    if "questions" in fields:
        values["questions"] = _checked_questions(fields["questions"])
    if "position" in fields:
        values["position"] = checked_position(fields["position"])
    locale = article.locale if article is not None else None
    if "locale" in fields or article is None:
        locale = values["locale"] = checked_locale(portal, fields.get("locale"))
    if "category" in fields or "locale" in fields:
        category = fields["category"] if "category" in fields else article.category  # noqa: SIM401  a query
        _check_category(category, portal, locale)
        if "category" in fields:
            values["category"] = category
    if "translation_of" in fields or "locale" in fields:
        original = fields["translation_of"] if "translation_of" in fields else article.translation_of  # noqa: SIM401
        _check_original(original, article, portal, locale)
        if "translation_of" in fields:
            values["translation_of"] = original
    if article is not None and "locale" in values and values["locale"] != article.locale:
        _check_translations_elsewhere(article, values["locale"])
    if fields.get("slug") is not None:
        values["slug"] = checked_slug(fields["slug"], field="slug", max_length=MAX_SLUG)
        _check_slug_free(values["slug"], portal, locale, article)
    return values


def _checked_body(body: object) -> str:
    if not isinstance(body, str):
        raise refuse("body", "The body must be text.")
    if len(body) > MAX_ARTICLE_BODY:
        raise refuse(
            "body",
            f"The article is {len(body):,} characters long; an article can be at most "
            f"{MAX_ARTICLE_BODY:,} characters. Split it into several articles.",
        )
    return checked_text(body, field="body", label="body", max_length=MAX_ARTICLE_BODY, strip=False)


def _checked_questions(questions: object) -> list[str]:
    """Distinct questions in their order, blanks left out."""
    if isinstance(questions, str) or not isinstance(questions, Iterable):
        raise refuse("questions", "The questions are a list of sentences.")
    questions = list(questions)
    if len(questions) > MAX_QUESTIONS * 2:  # before reading each: a list of a million is refused now
        raise refuse("questions", f"An article answers at most {MAX_QUESTIONS} questions.")
    texts: list[str] = []
    seen: set[str] = set()
    for number, question in enumerate(questions, start=1):
        text = checked_text(question, field="questions", label=f"question {number}", max_length=MAX_QUESTION)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            texts.append(text)
    if len(texts) > MAX_QUESTIONS:
        raise refuse(
            "questions", f"An article answers at most {MAX_QUESTIONS} questions; this one has {len(texts)}."
        )
    return texts


def _check_category(category: Category | None, portal: Portal, locale: str) -> None:
    if category is None:
        return
    if category.portal_id != portal.pk:
        raise refuse("category", f'The category "{category.name}" belongs to another help center.')
    if category.locale != locale:
        raise refuse(
            "category",
            f'The category "{category.name}" is in {category.locale}; choose one in {locale}.',
        )


def _check_original(original: Article | None, article: Article | None, portal: Portal, locale: str) -> None:
    """A translation points at an original of the same portal, in another locale, that is not
    itself a translation; an article that has translations is an original and stays one."""
    if original is None:
        return
    if article is not None and original.pk == article.pk:
        raise refuse("translation_of", "An article cannot be a translation of itself.")
    if original.portal_id != portal.pk:
        raise refuse("translation_of", "The original article belongs to another help center.")
    if original.translation_of_id is not None:
        raise refuse(
            "translation_of",
            f'"{original.title}" is itself a translation; point at the article it translates.',
        )
    if original.locale == locale:
        raise refuse(
            "translation_of", f'"{original.title}" is in {locale} too; a translation is in another locale.'
        )
    if article is not None and article.translations.exists():
        raise refuse(
            "translation_of", "This article has translations of its own, so it cannot be a translation."
        )
    twin = Article.objects.filter(translation_of=original, locale=locale)
    if article is not None:
        twin = twin.exclude(pk=article.pk)
    if twin.exists():
        raise refuse("translation_of", f'"{original.title}" already has a translation in {locale}.')


def _check_translations_elsewhere(article: Article, locale: str) -> None:
    """An original moved to `locale` cannot have a translation there already."""
    if article.translations.filter(locale=locale).exists():
        raise refuse("locale", f"This article already has a translation in {locale}.")


def _check_slug_free(slug: str, portal: Portal, locale: str, article: Article | None) -> None:
    taken = Article.objects.filter(portal=portal, locale=locale, slug=slug)
    if article is not None:
        taken = taken.exclude(pk=article.pk)
    if taken.exists():
        raise refuse("slug", f'Another article in {locale} already uses the slug "{slug}".')


def _replace_questions(article: Article, texts: list[str]) -> bool:
    """Make the article's questions exactly `texts`; whether anything changed."""
    stored = {question.text: question.pk for question in article.questions.all()}
    removed = [pk for text, pk in stored.items() if text not in texts]
    added = [text for text in texts if text not in stored]
    if removed:
        ArticleQuestion.objects.filter(pk__in=removed).delete()
    if added:
        ArticleQuestion.objects.bulk_create(ArticleQuestion(article=article, text=text) for text in added)
    return bool(removed or added)


def _refuse_conflict(portal: Portal, values: dict[str, Any], slug: str | None) -> None:
    """A unique constraint refused the write because of a change made meanwhile: say which."""
    locale = values.get("locale", "")
    if slug is not None:
        raise refuse("slug", f'Another article in {locale} already uses the slug "{slug}".')
    raise refuse(
        "translation_of", "Another change to this help center was saved at the same moment; try again."
    )
