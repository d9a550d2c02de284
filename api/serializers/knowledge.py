"""The knowledge base: help centers (portals), their articles, and search. Requests are checked
for types and sizes here; the knowledge services then apply their rules (a refusal is a 400 that
names the field)."""

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api_common.serializers import StrictSerializer, id_field
from knowledge.links import article_url
from knowledge.models import Article, Portal
from knowledge.search import SearchHit
from knowledge.services import MAX_ARTICLE_BODY, MAX_QUESTION, MAX_QUESTIONS, MAX_TITLE

MAX_DESCRIPTION = 300  # Article.description
MAX_SLUG = 120  # Article.slug
MAX_LOCALE = 12
MAX_POSITION = 2_147_483_647
MAX_SEARCH_RESULTS = 20


@extend_schema_field(
    {"type": "string", "enum": Article.Status.values, "description": "draft, published or archived."},
    component_name="ArticleStatusEnum",
)
class ArticleStatusField(serializers.ChoiceField):
    """An article's status, named in the schema on its own: a conversation's status is `status` too."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=Article.Status.choices, **kwargs)


class PortalSerializer(serializers.ModelSerializer):
    locales = serializers.ListField(
        child=serializers.CharField(),
        source="all_locales",
        read_only=True,
        help_text="Every locale the help center is offered in, its default first.",
    )
    url = serializers.SerializerMethodField(help_text="The help center's public address.")

    class Meta:
        model = Portal
        fields = ("id", "name", "slug", "tagline", "color", "default_locale", "locales", "is_public", "url")
        read_only_fields = fields

    def get_url(self, portal: Portal) -> str:
        path = reverse("knowledge:portal", kwargs={"portal_slug": portal.slug})
        return f"{settings.PUBLIC_URL.rstrip('/')}{path}"


class ArticleSerializer(serializers.ModelSerializer):
    portal = serializers.CharField(source="portal.slug", read_only=True, help_text="The help center's slug.")
    status = ArticleStatusField(read_only=True)
    url = serializers.SerializerMethodField(help_text="Where the help center shows it (once published).")

    class Meta:
        model = Article
        fields = (
            "id",
            "portal",
            "locale",
            "slug",
            "title",
            "description",
            "status",
            "category_id",
            "translation_of_id",
            "position",
            "url",
            "view_count",
            "helpful_count",
            "unhelpful_count",
            "created_at",
            "updated_at",
            "published_at",
        )
        read_only_fields = fields

    def get_url(self, article: Article) -> str:
        return article_url(article)


class ArticleDetailSerializer(ArticleSerializer):
    body = serializers.CharField(read_only=True, help_text="Markdown.")
    questions = serializers.SerializerMethodField(
        help_text="The questions it answers, in customers' words: they count in search."
    )

    class Meta(ArticleSerializer.Meta):
        fields = (*ArticleSerializer.Meta.fields, "body", "questions")
        read_only_fields = fields

    def get_questions(self, article: Article) -> list[str]:
        return [question.text for question in article.questions.all()]


def text(max_length: int, **kwargs) -> serializers.CharField:
    """Text as written: the knowledge services trim what they keep, and say so when one is blank."""
    return serializers.CharField(max_length=max_length, trim_whitespace=False, **kwargs)


def article_fields(*, creating: bool) -> dict[str, serializers.Field]:
    """The fields creating and changing an article share: required as creating needs them, all
    optional for a change (what is left out keeps its value)."""
    optional = {"required": False}
    body_default = {"default": ""} if creating else optional
    return {
        "title": text(MAX_TITLE, required=creating),
        "body": text(MAX_ARTICLE_BODY, allow_blank=True, help_text="Markdown.", **body_default),
        "description": text(
            MAX_DESCRIPTION,
            allow_blank=True,
            help_text="One sentence: search results and the page's description.",
            **optional,
        ),
        "locale": serializers.CharField(
            max_length=MAX_LOCALE,
            help_text="One of the help center's locales (a new article left without: its default).",
            **optional,
        ),
        "category_id": id_field(
            allow_null=True, help_text="A category of the same help center and locale.", **optional
        ),
        "translation_of_id": id_field(
            allow_null=True,
            help_text="The original article, in another locale of the same help center.",
            **optional,
        ),
        "slug": serializers.CharField(
            max_length=MAX_SLUG,
            help_text="Lowercase letters, digits and hyphens; a new article without: made from the title.",
            **optional,
        ),
        "questions": serializers.ListField(
            child=text(MAX_QUESTION, allow_blank=True),
            max_length=MAX_QUESTIONS,
            help_text="The questions it answers, in customers' words; on a change, the whole new list.",
            **optional,
        ),
        "status": ArticleStatusField(
            help_text="A new article left without: draft." if creating else "", **optional
        ),
    }


class ArticleWriteSerializer(StrictSerializer):
    """The context's `categories` and `articles` are those the agent may name (of their help
    centers): `category_id` and `translation_of_id` come out validated as `category` and
    `translation_of`, the records themselves, as the knowledge services take them."""

    def validate_category_id(self, category_id: int | None) -> object:
        return self._one_of("categories", category_id, "category")

    def validate_translation_of_id(self, article_id: int | None) -> object:
        return self._one_of("articles", article_id, "article")

    def _one_of(self, name: str, record_id: int | None, what: str) -> object:
        if record_id is None:
            return None
        records: QuerySet = self.context[name]
        record = records.filter(pk=record_id).first()
        if record is None:
            raise serializers.ValidationError(f"No {what} with this id in your help centers.")
        return record

    def validate(self, attrs: dict) -> dict:
        renamed = {"category_id": "category", "translation_of_id": "translation_of"}
        return {renamed.get(field, field): value for field, value in attrs.items()}


class ArticleCreateSerializer(ArticleWriteSerializer):
    """A new article in one of your help centers: `portal` is its slug, validated as the Portal
    itself (one of the context's `portals`)."""

    portal = serializers.SlugField(max_length=60, help_text="The help center's slug: one of yours.")

    def get_fields(self) -> dict[str, serializers.Field]:
        return {**super().get_fields(), **article_fields(creating=True)}

    def validate_portal(self, slug: str) -> Portal:
        portal = self.context["portals"].filter(slug=slug).first()
        if portal is None:
            raise serializers.ValidationError("No help center with this slug among yours.")
        return portal


class ArticleUpdateSerializer(ArticleWriteSerializer):
    """Fields left out keep their value; `questions` replaces the whole list."""

    def get_fields(self) -> dict[str, serializers.Field]:
        position = serializers.IntegerField(
            min_value=0, max_value=MAX_POSITION, required=False, help_text="Its place in lists."
        )
        return {**article_fields(creating=False), "position": position}


class ArticleListQuerySerializer(serializers.Serializer):
    portal = serializers.SlugField(max_length=60, required=False, help_text="A help center's slug.")
    status = ArticleStatusField(required=False)
    locale = serializers.CharField(max_length=MAX_LOCALE, required=False)


class HelpSearchQuerySerializer(serializers.Serializer):
    portal = serializers.SlugField(max_length=60, help_text="The help center's slug: one of yours.")
    q = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text="What the customer asked, in their words (at most 500 characters).",
    )
    locale = serializers.CharField(
        max_length=MAX_LOCALE,
        required=False,
        help_text="One of the help center's locales (default: its own).",
    )
    limit = serializers.IntegerField(min_value=1, max_value=MAX_SEARCH_RESULTS, default=5)


class SearchHitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="article.pk", read_only=True)
    title = serializers.CharField(source="article.title", read_only=True)
    locale = serializers.CharField(source="article.locale", read_only=True)
    snippet = serializers.CharField(read_only=True, help_text="Plain text, at most 200 characters.")
    url = serializers.SerializerMethodField(help_text="Where the help center shows it.")
    score = serializers.FloatField(
        read_only=True, help_text="Confidence; comparable between searches of one help center."
    )
    matched_question = serializers.CharField(
        read_only=True, help_text='The article\'s question nearest the query, "" if it has none.'
    )

    def get_url(self, hit: SearchHit) -> str:
        return article_url(hit.article)
