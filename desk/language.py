"""The desk speaks each agent's language: the one they chose in their settings
(AgentProfile.desk_language), else the best their browser asks for among DESK_LANGUAGES, else
English. The choice rides in the session (set at sign-in and when they change it), so no request
reads the profile for it; the admin and the help center keep their own languages.
"""

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

from agents.models import DESK_LANGUAGES, AgentProfile

DESK_PREFIX = "/desk/"
SESSION_KEY = "desk_language"
SHIPPED = frozenset(code for code, _ in DESK_LANGUAGES)
DEFAULT = "en"


def browser_language(accept_language: str) -> str:
    """The first language of an Accept-Language header the desk has ("pt-BR" reads as "pt")."""
    for code, _quality in parse_accept_lang_header(accept_language or ""):
        base = code.split("-")[0].lower()
        if base in SHIPPED:
            return base
    return DEFAULT


def desk_language(request: HttpRequest) -> str:
    chosen = request.session.get(SESSION_KEY, "") if hasattr(request, "session") else ""
    return chosen if chosen in SHIPPED else browser_language(request.headers.get("Accept-Language", ""))


def remember_desk_language(request: HttpRequest, language: str) -> None:
    """The agent chose `language` ("" for their browser's): the next requests speak it."""
    request.session[SESSION_KEY] = language if language in SHIPPED else ""


@receiver(user_logged_in)
def _desk_language_at_sign_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is None or not hasattr(request, "session"):
        return
    chosen = AgentProfile.objects.filter(user=user).values_list("desk_language", flat=True).first()
    remember_desk_language(request, chosen or "")


class DeskLanguageMiddleware:
    """Activates the desk's language for requests under /desk/ (after the session and the user).
    Both sync and async, so every other request (the widget's, the webhooks') passes with no
    thread hop (see audit.context.AuditRequestMiddleware); a desk request reads its session in
    the request's thread."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if iscoroutinefunction(self):
            return self._async_call(request)
        if not request.path.startswith(DESK_PREFIX):
            return self.get_response(request)
        language = desk_language(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = self.get_response(request)
        return _spoken(response, language)

    async def _async_call(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(DESK_PREFIX):
            return await self.get_response(request)
        language = await sync_to_async(desk_language)(request)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = await self.get_response(request)
        return _spoken(response, language)


def _spoken(response: HttpResponse, language: str) -> HttpResponse:
    response.headers.setdefault("Content-Language", language)
    patch_vary_headers(response, ("Accept-Language",))
    return response
