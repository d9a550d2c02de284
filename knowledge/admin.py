"""The knowledge base's admin: a door like any other. Each form checks its input with the services'
own validation (so a refusal shows on its field), and every save is one service call, so what the
admin stores is checked and indexed for search exactly as from anywhere else."""

import re

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from conversations.admin.actions import apply_each, report_outcome

from . import services
from .admin_saving import SavedThroughServices, adopt, checked_fields, show_refusal
from .markdown import render_markdown
from .models import Article, ArticleFeedback, ArticleImage, ArticleQuestion, Category, Portal

# What each form validates through its service (the inlines, logo and inboxes are handled apart).
PORTAL_FORM_FIELDS = tuple(sorted(services.PORTAL_FIELDS - {"inboxes", "logo"}))
CATEGORY_FORM_FIELDS = tuple(sorted(services.CATEGORY_FIELDS))
ARTICLE_FORM_FIELDS = tuple(sorted(services.ARTICLE_FIELDS - {"questions"}))


class PortalForm(forms.ModelForm):
    locales = forms.CharField(
        required=False, label="Other locales", help_text="Separated by commas, such as: fr, de, pt-BR."
    )

    class Meta:
        model = Portal
        fields = (*PORTAL_FORM_FIELDS, "logo", "inboxes")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = "Its pages live at /help/<slug>/. Made from the name when blank."
        if self.instance.pk:
            self.initial["locales"] = ", ".join(self.instance.locales)

    def clean_locales(self) -> list[str]:
        return [code for code in re.split(r"[,\s]+", self.cleaned_data["locales"]) if code]

    def clean(self) -> dict:
        cleaned = super().clean()
        try:
            services.portal_validate(
                portal=self.instance if self.instance.pk else None, **checked_fields(self, PORTAL_FORM_FIELDS)
            )
        except ValidationError as error:
            show_refusal(self, error)
        return cleaned


@admin.register(Portal)
class PortalAdmin(SavedThroughServices):
    form = PortalForm
    list_display = ("name", "slug", "default_locale", "other_locales", "is_public", "help_center")
    list_filter = ("is_public",)
    search_fields = ("name", "slug")
    filter_horizontal = ("inboxes",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "tagline", "is_public")}),
        ("Look", {"fields": ("color", "logo")}),
        ("Languages", {"fields": ("default_locale", "locales")}),
        ("Where the bot and the widget answer from it", {"fields": ("inboxes",)}),
    )

    def save_through_services(self, request: HttpRequest, form, formsets, change: bool) -> Portal:
        fields = checked_fields(form, PORTAL_FORM_FIELDS)
        logo = form.cleaned_data.get("logo")
        if not change:
            return services.portal_create(**fields, inboxes=form.cleaned_data["inboxes"], logo=logo or None)
        if "inboxes" in form.changed_data:
            fields["inboxes"] = form.cleaned_data["inboxes"]
        if "logo" in form.changed_data:
            fields["logo"] = logo or None
        return services.portal_update(portal=Portal.objects.get(pk=form.instance.pk), **fields)

    @admin.display(description="other locales")
    def other_locales(self, portal: Portal) -> str:
        return ", ".join(portal.all_locales[1:]) or "-"

    @admin.display(description="help center")
    def help_center(self, portal: Portal) -> str:
        url = reverse("knowledge:portal", kwargs={"portal_slug": portal.slug})
        return format_html('<a href="{}">{}</a>', url, url)

    def view_on_site(self, portal: Portal) -> str:
        return reverse("knowledge:portal", kwargs={"portal_slug": portal.slug})


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ("portal", *CATEGORY_FORM_FIELDS)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = "Made from the name when blank."

    def clean(self) -> dict:
        cleaned = super().clean()
        portal = self.instance.portal if self.instance.pk else cleaned.get("portal")
        if portal is not None:
            try:
                services.category_validate(
                    category=self.instance if self.instance.pk else None,
                    portal=portal,
                    **checked_fields(self, CATEGORY_FORM_FIELDS),
                )
            except ValidationError as error:
                show_refusal(self, error)
        return cleaned


@admin.register(Category)
class CategoryAdmin(SavedThroughServices):
    form = CategoryForm
    list_display = ("name", "portal", "locale", "position", "article_count")
    list_filter = ("portal", "locale")
    list_select_related = ("portal",)
    search_fields = ("name", "slug")
    fields = ("portal", "locale", "name", "slug", "description", "position")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    def get_readonly_fields(self, request: HttpRequest, obj: Category | None = None) -> tuple[str, ...]:
        return ("portal",) if obj is not None else ()  # a category moves between portals with no service

    def save_through_services(self, request: HttpRequest, form, formsets, change: bool) -> Category:
        fields = checked_fields(form, CATEGORY_FORM_FIELDS)
        if not change:
            return services.category_create(portal=form.cleaned_data["portal"], **fields)
        return services.category_update(category=Category.objects.get(pk=form.instance.pk), **fields)

    @admin.display(description="articles", ordering="article_count")
    def article_count(self, category: Category) -> int:
        return category.article_count


class QuestionInline(admin.TabularInline):
    model = ArticleQuestion
    fields = ("text",)
    extra = 1
    max_num = services.MAX_QUESTIONS
    validate_max = True
    verbose_name = "question this article answers"
    verbose_name_plural = "questions this article answers (customers' words: they count in search)"


class ArticleForm(forms.ModelForm):
    class Meta:
        model = Article
        fields = ("portal", *ARTICLE_FORM_FIELDS, "status")
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "class": "vLargeTextField"})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["slug"].help_text = "Made from the title when blank."

    def clean(self) -> dict:
        cleaned = super().clean()
        portal = self.instance.portal if self.instance.pk else cleaned.get("portal")
        if portal is not None:
            try:
                services.article_validate(
                    article=self.instance if self.instance.pk else None,
                    portal=portal,
                    **checked_fields(self, ARTICLE_FORM_FIELDS),
                )
            except ValidationError as error:
                show_refusal(self, error)
        return cleaned


@admin.register(Article)
class ArticleAdmin(SavedThroughServices):
    form = ArticleForm
    inlines = (QuestionInline,)
    list_display = (
        "title",
        "portal",
        "locale",
        "status",
        "category",
        "view_count",
        "helpful_count",
        "updated_at",
    )
    list_filter = ("status", "locale", "portal")
    list_select_related = ("portal", "category")
    search_fields = ("title", "slug", "description")
    autocomplete_fields = ("category", "translation_of")
    actions = ("publish_selected", "archive_selected")
    readonly_fields = (
        "author",
        "published_at",
        "created_at",
        "updated_at",
        "view_count",
        "helpful_count",
        "preview",
    )
    fieldsets = (
        (None, {"fields": ("portal", "locale", "category", "translation_of", "status")}),
        ("Content (Markdown)", {"fields": ("title", "slug", "description", "body", "position")}),
        ("Preview, as readers see it", {"fields": ("preview",), "classes": ("collapse",)}),
        (
            "History and readers",
            {"fields": ("author", "published_at", "created_at", "updated_at", "view_count", "helpful_count")},
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        articles = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            return articles.defer("body", "embedding")  # a page of 100 bodies is up to 20 MB
        return articles

    def get_readonly_fields(self, request: HttpRequest, obj: Article | None = None) -> tuple[str, ...]:
        return (*self.readonly_fields, *(("portal",) if obj is not None else ()))

    def save_through_services(self, request: HttpRequest, form, formsets, change: bool) -> Article:
        fields = checked_fields(form, ARTICLE_FORM_FIELDS)
        questions = _question_texts(formsets)
        status = form.cleaned_data["status"]
        if not change:
            return services.article_create(
                portal=form.cleaned_data["portal"],
                author=request.user,
                status=status,
                questions=questions or (),
                **fields,
            )
        article = Article.objects.select_related("portal").get(pk=form.instance.pk)
        if questions is not None:
            fields["questions"] = questions
        if fields:
            services.article_update(article=article, actor=request.user, **fields)
        if "status" in form.changed_data:
            services.article_set_status(article=article, status=status, actor=request.user)
        return article

    @admin.display(description="preview")
    def preview(self, article: Article) -> str:
        if not article.pk:
            return "Saved articles show their preview here."
        return format_html('<div class="knowledge-preview">{}</div>', render_markdown(article.body))

    @admin.display(description="helpful")
    def helpful_count(self, article: Article) -> str:
        return f"{article.helpful_count} yes / {article.unhelpful_count} no"

    def view_on_site(self, article: Article) -> str | None:
        if not article.is_published:
            return None
        kwargs = {"portal_slug": article.portal.slug, "locale": article.locale, "article_slug": article.slug}
        return reverse("knowledge:article", kwargs=kwargs)

    @admin.action(description="Publish selected articles", permissions=["change"])
    def publish_selected(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        outcome = apply_each(
            queryset, lambda article: self._moved(request, article, Article.Status.PUBLISHED)
        )
        report_outcome(self, request, outcome, done="Published", skipped="Already published")

    @admin.action(description="Archive selected articles", permissions=["change"])
    def archive_selected(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        outcome = apply_each(queryset, lambda article: self._moved(request, article, Article.Status.ARCHIVED))
        report_outcome(self, request, outcome, done="Archived", skipped="Already archived")

    def _moved(self, request: HttpRequest, article: Article, status: str) -> bool:
        previous = article.status
        return (
            services.article_set_status(article=article, status=status, actor=request.user).status != previous
        )


def _question_texts(formsets) -> list[str] | None:
    """The questions as the inline now lists them, or None when the inline was not changed."""
    for formset in formsets:
        if formset.model is ArticleQuestion:
            if not formset.has_changed():
                return None
            return [
                form.cleaned_data["text"]
                for form in formset.forms
                if form.cleaned_data.get("text") and not form.cleaned_data.get("DELETE")
            ]
    return None


class ArticleImageForm(forms.ModelForm):
    class Meta:
        model = ArticleImage
        fields = ("portal", "file")

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        try:
            services.image_check(uploaded_file=uploaded)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        return uploaded


@admin.register(ArticleImage)
class ArticleImageAdmin(admin.ModelAdmin):
    """Upload here, then paste the Markdown line into an article."""

    form = ArticleImageForm
    list_display = ("file_name", "portal", "mime_type", "byte_size", "uploaded_by", "created_at", "markdown")
    list_filter = ("portal",)
    list_select_related = ("portal", "uploaded_by")

    def has_change_permission(self, request: HttpRequest, obj: ArticleImage | None = None) -> bool:
        return False  # an image is replaced by uploading another: articles link the URL

    def save_model(self, request: HttpRequest, obj: ArticleImage, form, change: bool) -> None:
        saved = services.image_upload(
            portal=form.cleaned_data["portal"], uploaded_file=form.cleaned_data["file"], actor=request.user
        )
        adopt(obj, saved)

    @admin.display(description="file")
    def file_name(self, image: ArticleImage) -> str:
        return image.file.name.rsplit("/", 1)[-1]

    @admin.display(description="Markdown to paste")
    def markdown(self, image: ArticleImage) -> str:
        return format_html("<code>![]({})</code>", image.file.url)


@admin.register(ArticleFeedback)
class ArticleFeedbackAdmin(admin.ModelAdmin):
    """What readers answered; the article keeps the counts, so nothing here is edited by hand."""

    list_display = ("article", "helpful", "created_at")
    list_filter = ("helpful",)
    list_select_related = ("article",)
    search_fields = ("article__title",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ArticleFeedback | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ArticleFeedback | None = None) -> bool:
        return False
