"""The article editor's form: what the agent typed, read from the POST as it was (so a refused save
loses nothing), turned into the fields knowledge.services takes, and the services' refusals put
next to the fields they name.

No Django Form: the services are the one place that checks an article (knowledge.services
article_validate), and their messages are the ones the agent reads.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from knowledge.models import Article, Category, Portal

# The fields the editor shows; a refusal keyed by another (translation_of, status) goes on top.
SHOWN_FIELDS = ("title", "description", "category", "locale", "slug", "questions", "body", "file")
LABELS = {
    "title": _("Title"),
    "description": _("Description"),
    "category": _("Category"),
    "locale": _("Locale"),
    "slug": pgettext_lazy("web address", "Address"),
    "questions": _("Questions"),
    "body": _("Article"),
    "file": _("Image"),
}


@dataclass
class ArticleForm:
    title: str = ""
    description: str = ""
    body: str = ""
    questions: str = ""  # one per line, as typed
    locale: str = ""
    category_id: str = ""
    slug: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_article(cls, article: Article) -> "ArticleForm":
        return cls(
            title=article.title,
            description=article.description,
            body=article.body,
            questions="\n".join(question.text for question in article.questions.all()),
            locale=article.locale,
            category_id=str(article.category_id or ""),
            slug=article.slug,
        )

    @classmethod
    def from_post(cls, data: QueryDict) -> "ArticleForm":
        return cls(
            title=data.get("title", ""),
            description=data.get("description", ""),
            body=data.get("body", ""),
            questions=data.get("questions", ""),
            locale=data.get("locale", ""),
            category_id=data.get("category", ""),
            slug=data.get("slug", "").strip(),
        )

    def question_list(self) -> list[str]:
        return [line.strip() for line in self.questions.splitlines() if line.strip()]

    def service_fields(self, portal: Portal, categories: list[Category]) -> dict:
        """The keyword arguments of article_create and article_update. A blank slug is None: made
        from the title for a new article, kept for an existing one."""
        return {
            "title": self.title,
            "description": self.description,
            "body": self.body,
            "questions": self.question_list(),
            "locale": self.locale or None,
            "category": self.category(categories),
            "slug": self.slug or None,
        }

    def category(self, categories: list[Category]) -> Category | None:
        if not self.category_id:
            return None
        chosen = next((c for c in categories if str(c.pk) == self.category_id), None)
        if chosen is None:
            raise ValidationError({"category": [gettext("Choose one of this help center's categories.")]})
        return chosen

    def refused(self, error: ValidationError) -> None:
        """Keep the services' refusal, by the field it names."""
        by_field = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for name, messages in by_field.items():
            self.errors.setdefault(name if name in SHOWN_FIELDS else "__all__", []).extend(messages)

    @property
    def top_errors(self) -> list[str]:
        return self.errors.get("__all__", [])

    @property
    def field_errors(self) -> list[tuple[str, str, str]]:
        """(field, its label, message) of each field's refusal, in the form's order: the summary on
        top links to each (a long body puts its own message far down the page)."""
        return [
            (name, LABELS[name], message) for name in SHOWN_FIELDS for message in self.errors.get(name, [])
        ]
