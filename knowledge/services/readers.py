"""What readers of the help center leave behind: views and "Was this helpful?" answers. Neither
touches `updated_at` (that is when the article's content changed, which search and page caches
read)."""

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest

from ..models import Article, ArticleFeedback
from .checks import refuse


def article_record_view(*, article_id: int) -> None:
    """Count one view of the article: one UPDATE, no read, no lock held past the statement."""
    Article.objects.filter(pk=article_id).update(view_count=F("view_count") + 1)


def article_record_feedback(*, article: Article, helpful: bool, reader_key: str) -> ArticleFeedback:
    """The reader's answer to "Was this helpful?" for a published article. One vote per reader
    (`reader_key`, a hash of their session): the first answer adds to a count, a changed answer
    moves the vote from one count to the other, the same answer again changes nothing. Counts
    never go below zero. Returns the reader's feedback as stored."""
    if not isinstance(reader_key, str) or not 0 < len(reader_key) <= 64:
        raise refuse("reader_key", "A reader key is 1 to 64 characters.")
    if article.status != Article.Status.PUBLISHED:
        raise refuse("article", "Only a published article takes feedback.")
    helpful = bool(helpful)
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the reader's second vote fails only this
                feedback = ArticleFeedback.objects.create(
                    article=article, helpful=helpful, reader_key=reader_key
                )
        except IntegrityError:
            feedback = ArticleFeedback.objects.select_for_update().get(article=article, reader_key=reader_key)
            if feedback.helpful == helpful:
                return feedback
            feedback.helpful = helpful
            feedback.save(update_fields=["helpful"])
            _move_count(article.pk, to_helpful=helpful, from_other=True)
            return feedback
        _move_count(article.pk, to_helpful=helpful, from_other=False)
    return feedback


def _move_count(article_id: int, *, to_helpful: bool, from_other: bool) -> None:
    added, taken = (
        ("helpful_count", "unhelpful_count") if to_helpful else ("unhelpful_count", "helpful_count")
    )
    changes = {added: F(added) + 1}
    if from_other:
        changes[taken] = Greatest(F(taken) - 1, Value(0))
    Article.objects.filter(pk=article_id).update(**changes)
