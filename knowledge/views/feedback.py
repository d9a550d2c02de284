"""POST /help/<portal>/<locale>/articles/<slug>/feedback: "Was this helpful?".

A plain form post (CSRF-protected) that redirects back to the article with a thank-you; the page's
small script sends the same form with fetch and asks for JSON instead, so the reader stays put.
One vote per reader: the reader is a hash of their session, made for them if they have none.
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from .. import selectors, services
from ..models import Article
from .helpcenter import FEEDBACK_SENT
from .pages import PageMissing, error_page, in_page_language, portal_page

ANSWERS = {"yes": True, "no": False}


@require_POST
@in_page_language
def article_feedback(request: HttpRequest, portal_slug: str, locale: str, article_slug: str) -> HttpResponse:
    try:
        page = portal_page(request, portal_slug, locale)
    except PageMissing as missing:
        return missing.response
    found = selectors.article_by_slug(page.portal, locale, article_slug)
    if found is None or found.status != Article.Status.PUBLISHED:
        return error_page(request, page, reason="article")
    answer = request.POST.get("helpful", "")
    if answer not in ANSWERS:
        return _refused(request, page, gettext("Answer yes or no."))
    try:
        services.article_record_feedback(
            article=found, helpful=ANSWERS[answer], reader_key=reader_key(request)
        )
    except ValidationError as error:
        return _refused(request, page, " ".join(error.messages))
    if _wants_json(request):
        return JsonResponse({"message": gettext("Thanks for letting us know!")})
    path = reverse(
        "knowledge:article", kwargs={"portal_slug": portal_slug, "locale": locale, "article_slug": found.slug}
    )
    return HttpResponseRedirect(f"{path}?feedback={FEEDBACK_SENT}#hc_feedback", status=303)


def reader_key(request: HttpRequest) -> str:
    """A stable, opaque key for this reader: a keyed hash of their session key (a session is made
    for a reader who has none; it holds only the fact that they read the help center)."""
    if not request.session.session_key:
        request.session["helpcenter_reader"] = True  # an empty session would not be kept
        request.session.save()
    return salted_hmac(
        "knowledge.feedback.reader", request.session.session_key, algorithm="sha256"
    ).hexdigest()


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _refused(request: HttpRequest, page, detail: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": "bad_request", "detail": detail}, status=400)
    return error_page(request, page, reason="bad_feedback", status=400, detail=detail)
