"""Writing help articles in the desk (/desk/kb/): the list of the agent's help centers' articles,
the editor (new and existing) with its live preview and image upload, and "Add translation".

Any active agent writes drafts and publishes, for the help centers linked to an inbox they work
(admins: all). Every change goes through knowledge.services; a refusal comes back next to the
field it names, with everything the agent typed still in the form.
"""

from collections.abc import Callable
from functools import wraps
from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from knowledge import services
from knowledge.links import article_url
from knowledge.markdown import render_markdown
from knowledge.models import Article, Category, Portal

from ..view_helpers import desk_view, int_or, query_without
from . import article_selectors as selectors
from .article_form import ArticleForm
from .article_selectors import ArticleFilters

Status = Article.Status
SAVED = {  # what the agent reads after each button
    "save": _("Saved."),
    "publish": _("Published: readers and the answer bot see it now."),
    "unpublish": _("Moved back to drafts: readers no longer see it."),
    "archive": _("Archived: it is out of the help center and out of search."),
    "restore": _("Restored as a draft."),
}
STATUS_OF_INTENT = {  # "save" keeps the status the article has
    "publish": Status.PUBLISHED,
    "unpublish": Status.DRAFT,
    "archive": Status.ARCHIVED,
    "restore": Status.DRAFT,
}


def writer_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A desk view for agents who may write articles (selectors.may_write_articles)."""

    @wraps(view)
    def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not selectors.may_write_articles(request.user):
            raise PermissionDenied("Only agents write help articles.")
        return view(request, *args, **kwargs)

    return desk_view(checked)


@require_GET
@writer_view
def article_list(request: HttpRequest) -> HttpResponse:
    """The list (htmx asks for its rows alone when a filter changes or the next page is near)."""
    portals = list(selectors.writable_portals(request.user))
    filters = _filters(request.GET)
    rows = selectors.article_rows(request.user, filters)
    after = int_or(request.GET.get("after"), default=None)
    if after is not None:
        cursor = Article.objects.filter(pk=after).only("pk", "updated_at").first()
        rows = selectors.rows_after(rows, cursor) if cursor is not None else rows.none()
    page = list(rows[: selectors.ARTICLE_PAGE_SIZE + 1])
    context = {
        "portals": portals,
        "filters": filters,
        "locales": sorted({code for portal in portals for code in portal.all_locales}),
        "statuses": Status.choices,
        "articles": page[: selectors.ARTICLE_PAGE_SIZE],
        "next_after": page[-2].pk if len(page) > selectors.ARTICLE_PAGE_SIZE else None,
        "query_string": query_without(request.GET, "after"),
        "appending": after is not None,
    }
    rows_only = request.htmx and not request.htmx.history_restore_request  # "back": the whole page
    template = "desk/kb/_rows.html" if rows_only else "desk/kb/list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@writer_view
def article_new(request: HttpRequest) -> HttpResponse:
    """A new article of the chosen help center (?portal=, asked first when the agent has several)."""
    portals = list(selectors.writable_portals(request.user))
    chosen = int_or(request.GET.get("portal") or request.POST.get("portal"), default=None)
    if chosen is None and len(portals) != 1:
        return render(request, "desk/kb/choose_portal.html", {"portals": portals})
    portal = portals[0] if chosen is None else next((p for p in portals if p.pk == chosen), None)
    if portal is None:
        raise Http404("No such help center among yours.")
    categories = selectors.portal_categories(portal)
    if request.method == "GET":
        form = ArticleForm(locale=request.GET.get("locale", "") or portal.default_locale)
        return _editor(request, portal, categories, form, article=None)
    form = ArticleForm.from_post(request.POST)
    intent = request.POST.get("intent", "save")
    try:
        article = services.article_create(
            portal=portal,
            author=request.user,
            status=Status.PUBLISHED if intent == "publish" else Status.DRAFT,
            **form.service_fields(portal, categories),
        )
    except ValidationError as error:
        form.refused(error)
        return _editor(request, portal, categories, form, article=None, status=422)
    messages.success(request, SAVED["publish" if intent == "publish" else "save"])
    return redirect("desk:kb-article", article_id=article.pk)


@require_http_methods(["GET", "POST"])
@writer_view
def article_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    """The editor of one article: save (its status kept), publish, unpublish, archive, restore."""
    article = _article_or_404(request, article_id)
    categories = selectors.portal_categories(article.portal)
    if request.method == "GET":
        return _editor(
            request, article.portal, categories, ArticleForm.from_article(article), article=article
        )
    form = ArticleForm.from_post(request.POST)
    intent = request.POST.get("intent", "save")
    if intent not in SAVED:
        intent = "save"
    try:
        services.article_update(
            article=article, actor=request.user, **form.service_fields(article.portal, categories)
        )
        if intent in STATUS_OF_INTENT:
            services.article_set_status(article=article, status=STATUS_OF_INTENT[intent], actor=request.user)
    except ValidationError as error:
        form.refused(error)
        return _editor(request, article.portal, categories, form, article=article, status=422)
    messages.success(request, SAVED[intent])
    return redirect("desk:kb-article", article_id=article.pk)


@require_POST
@writer_view
def article_translate(request: HttpRequest, article_id: int) -> HttpResponse:
    """A draft translation in another locale of the help center, copied from the original for the
    agent to translate; the editor of the new draft opens."""
    article = _article_or_404(request, article_id)
    original = article.translation_of or article
    locale = request.POST.get("locale", "")
    try:
        translation = services.article_create(
            portal=article.portal,
            title=original.title,
            body=original.body,
            description=original.description,
            questions=[question.text for question in original.questions.all()],
            locale=locale,
            category=_same_category(original, locale),
            author=request.user,
            translation_of=original,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("desk:kb-article", article_id=article.pk)
    told = gettext("A draft in %(locale)s, copied from the original: translate it, then publish.")
    messages.info(request, told % {"locale": locale})
    return redirect("desk:kb-article", article_id=translation.pk)


@require_POST
@writer_view
def article_preview(request: HttpRequest) -> HttpResponse:
    """The article as readers will see it (knowledge.markdown: raw HTML is inert text)."""
    body = request.POST.get("body", "")
    too_long = len(body) > services.MAX_ARTICLE_BODY
    context = {
        "title": request.POST.get("title", ""),
        "description": request.POST.get("description", ""),
        "html": "" if too_long else render_markdown(body),
        "too_long": too_long,
        "length": number_format(len(body), force_grouping=True),  # "200,001", "200 001" in French
        "limit": number_format(services.MAX_ARTICLE_BODY, force_grouping=True),
    }
    return render(request, "desk/kb/_preview.html", context)


@require_POST
@writer_view
def image_upload(request: HttpRequest, portal_id: int) -> JsonResponse:
    """Store an image for the portal's articles; answers the Markdown that shows it."""
    portal = selectors.writable_portals(request.user).filter(pk=portal_id).first()
    if portal is None:
        raise Http404("No such help center among yours.")
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"detail": gettext("Choose an image to upload.")}, status=422)
    try:
        image = services.image_upload(portal=portal, uploaded_file=upload, actor=request.user)
    except ValidationError as error:
        return JsonResponse({"detail": " ".join(error.messages)}, status=422)
    alt = PurePath(upload.name or "image").stem.replace("[", "(").replace("]", ")")[:100] or "image"
    url = image.file.url
    return JsonResponse({"url": url, "alt": alt, "markdown": f"![{alt}]({url})"}, status=201)


def _editor(
    request: HttpRequest,
    portal: Portal,
    categories: list[Category],
    form: ArticleForm,
    *,
    article: Article | None,
    status: int = 200,
) -> HttpResponse:
    family = selectors.translation_family(article) if article is not None else []
    covered = {member.locale for member in family}
    context = {
        "portal": portal,
        "article": article,
        "form": form,
        "categories": categories,
        "locales": portal.all_locales,
        "family": family,
        "missing_locales": [code for code in portal.all_locales if code not in covered] if article else [],
        "public_url": article_url(article) if article is not None and article.is_published else "",
        "max_body": services.MAX_ARTICLE_BODY,
    }
    return render(request, "desk/kb/editor.html", context, status=status)


def _same_category(original: Article, locale: str) -> Category | None:
    """The category of the original's slug in `locale`, when the help center has one."""
    if original.category is None:
        return None
    return Category.objects.filter(
        portal_id=original.portal_id, locale=locale, slug=original.category.slug
    ).first()


def _article_or_404(request: HttpRequest, article_id: int) -> Article:
    article = selectors.article_for_editing(request.user, article_id)
    if article is None:
        raise Http404("No such article in your help centers.")
    return article


def _filters(query: QueryDict) -> ArticleFilters:
    status = query.get("status", "")
    return ArticleFilters(
        portal_id=int_or(query.get("portal"), default=None),
        status=status if status in selectors.STATUSES else "",
        locale=query.get("locale", "").strip()[:12],
        query=query.get("q", "").strip(),
    )
