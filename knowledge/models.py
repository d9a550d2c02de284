"""The knowledge base: portals (one help center per brand), their categories and articles, the
questions each article answers, images, and what readers said of an article.

An article is written in one locale; its translations are articles of their own in other locales
that point at the original (`translation_of`), so each has its own slug, status, author and
search vectors. Vectors are float32 bytes of the embedding model named beside them
(knowledge/search/embedding.py); a change of model re-embeds everything.
"""

import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from conversations.models import Inbox

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "A CSS hex colour such as #2563eb.")
LOCALE = RegexValidator(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", "A locale such as en, fr or pt-BR.")


class Portal(models.Model):
    """One brand's help center: its pages live at /help/<slug>/."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    tagline = models.CharField(max_length=255, blank=True, help_text="Shown under the name on the home page.")
    color = models.CharField(max_length=7, default="#2563eb", validators=[HEX_COLOUR])
    logo = models.FileField(upload_to="help/logos/", blank=True, help_text="PNG, JPEG, GIF or WebP.")
    default_locale = models.CharField(max_length=12, default="en", validators=[LOCALE])
    locales = models.JSONField(
        default=list, blank=True, help_text='Other locales the help center is offered in, e.g. ["fr", "de"].'
    )
    inboxes = models.ManyToManyField(
        Inbox,
        blank=True,
        related_name="portals",
        help_text="The inboxes whose widget and bot answer from it.",
    )
    is_public = models.BooleanField(default=True, help_text="Off: the help center pages answer 404.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def all_locales(self) -> list[str]:
        return [self.default_locale, *(code for code in self.locales if code != self.default_locale)]


class Category(models.Model):
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="categories")
    locale = models.CharField(max_length=12, default="en", validators=[LOCALE])
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["portal", "locale", "slug"], name="category_portal_locale_slug"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.locale})"


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="articles")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    locale = models.CharField(max_length=12, default="en", validators=[LOCALE])
    translation_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="translations",
        help_text="The original article this one translates.",
    )
    slug = models.SlugField(max_length=120)
    title = models.CharField(max_length=200)
    description = models.CharField(
        max_length=300, blank=True, help_text="One sentence: search results and the page's meta description."
    )
    body = models.TextField(blank=True, help_text="Markdown.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    view_count = models.PositiveBigIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    unhelpful_count = models.PositiveIntegerField(default=0)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "title"]
        constraints = [
            models.UniqueConstraint(fields=["portal", "locale", "slug"], name="article_portal_locale_slug"),
            models.UniqueConstraint(
                fields=["translation_of", "locale"],
                condition=Q(translation_of__isnull=False),
                name="article_one_translation_per_locale",
            ),
        ]
        indexes = [
            models.Index(fields=["portal", "locale", "status"], name="article_portal_locale_status"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ArticleQuestion(models.Model):
    """A question customers ask that the article answers, in their words: it counts in search."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="questions")
    text = models.CharField(max_length=500)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedding_model = models.CharField(max_length=40, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text


def image_path(image: "ArticleImage", filename: str) -> str:
    return f"help/{image.portal_id}/{secrets.token_hex(8)}/{filename}"


class ArticleImage(models.Model):
    """An image uploaded for articles; the body links it by URL."""

    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to=image_path)
    mime_type = models.CharField(max_length=100)
    byte_size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.file.name


class ArticleFeedback(models.Model):
    """One reader's "Was this helpful?" answer; the article keeps the counts."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField()
    reader_key = models.CharField(
        max_length=64, help_text="A hash of the reader's session: one vote per reader and article."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "reader_key"], name="feedback_one_per_reader"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"
