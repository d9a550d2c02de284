"""What every help-center page shares: the portal and locale from the address (or the 404 that
says where to go instead), the theme, the language switcher, absolute links and cache headers."""

import functools
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag
from django.utils.translation import get_language_info

from .. import selectors
from ..models import Portal
from .theme import Theme, theme_for

BOTS = re.compile(
    r"bot|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|monitor|headless|"
    r"curl|wget|python-|httpx|go-http|java/|okhttp|lighthouse",
    re.IGNORECASE,
)
TEMPLATES = settings.BASE_DIR / "templates" / "helpcenter"
TRANSLATIONS = settings.BASE_DIR / "locale"
SHARED_CACHE_SECONDS = 60  # home and category pages: a publish shows within a minute


@dataclass
class Page:
    """The help center a request is for, in one of its locales."""

    portal: Portal
    locale: str
    theme: Theme
    # locale -> the address of this page in that locale (its home when the page has no twin there)
    twins: dict[str, str] = field(default_factory=dict)

    @property
    def home_url(self) -> str:
        return home_url(self.portal, self.locale)

    @property
    def search_url(self) -> str:
        return reverse("knowledge:search", kwargs={"portal_slug": self.portal.slug, "locale": self.locale})

    @property
    def languages(self) -> list[dict[str, object]]:
        """The language switcher's entries, the current one first."""
        return [
            {
                "code": code,
                "name": locale_name(code),
                "url": self.twins.get(code) or home_url(self.portal, code),
                "current": code == self.locale,
            }
            for code in sorted(self.portal.all_locales, key=lambda code: code != self.locale)
        ]


class PageMissing(Exception):
    """The address names no page: the view answers `response` (a 404 page) instead."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__("not found")
        self.response = response


def in_page_language(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The view's words (templates, messages, dates) in the language of the page's `locale`."""

    @functools.wraps(view)
    def localized(request: HttpRequest, *args: object, locale: str, **kwargs: object) -> HttpResponse:
        with translation.override(page_language(locale)):
            return view(request, *args, locale=locale, **kwargs)

    return localized


def page_language(locale: str) -> str:
    """The language a help center page in `locale` speaks: the locale's when locale/ has its
    language (pt-BR reads pt's words, with Brazilian dates), else English: never a page whose
    dates are in one language and its words in another."""
    language = locale.lower()
    base = language.split("-")[0]
    if base in shipped_languages() and translation.check_for_language(language):
        return language
    return settings.LANGUAGE_CODE


@functools.cache
def shipped_languages() -> frozenset[str]:
    return frozenset(path.parent.parent.name for path in TRANSLATIONS.glob("*/LC_MESSAGES/django.mo"))


def portal_page(request: HttpRequest, portal_slug: str, locale: str | None = None) -> Page:
    """The page's portal and locale (the default when None); PageMissing for an unknown or private
    portal, and for a locale the portal does not offer (with a link to its default locale)."""
    portal = selectors.public_portal(portal_slug)
    if portal is None:
        raise PageMissing(error_page(request, None, reason="portal"))
    if locale is None:
        locale = portal.default_locale
    if locale not in portal.all_locales:
        page = Page(portal=portal, locale=portal.default_locale, theme=theme_for(portal.color))
        raise PageMissing(error_page(request, page, reason="locale", asked_locale=locale))
    return Page(portal=portal, locale=locale, theme=theme_for(portal.color))


def error_page(
    request: HttpRequest, page: Page | None, *, reason: str, status: int = 404, **context: object
) -> HttpResponse:
    """The help center's own 404 (or 410) page: it says what was not found and links onward, in the
    language of the page it offers instead (a locale the portal lacks gets the default's)."""
    with translation.override(page_language(page.locale) if page else settings.LANGUAGE_CODE):
        return render(
            request,
            "helpcenter/error.html",
            {"page": page, "reason": reason, **context},
            status=status,
        )


def home_url(portal: Portal, locale: str) -> str:
    return reverse("knowledge:home", kwargs={"portal_slug": portal.slug, "locale": locale})


def absolute(path: str) -> str:
    """An address on this site as the public sees it (settings.PUBLIC_URL): canonical links, sitemaps."""
    return f"{settings.PUBLIC_URL.rstrip('/')}{path}"


def locale_name(code: str) -> str:
    """A locale's own name (fr: Français, pt-BR: Português Brasileiro), else the code itself."""
    for candidate in (code.lower(), code.split("-")[0].lower()):
        try:
            name = get_language_info(candidate)["name_local"]
        except KeyError:
            continue
        return name[:1].upper() + name[1:]  # Django has "français": a menu item starts with a capital
    return code


def is_reader(request: HttpRequest) -> bool:
    """A person's page view, worth counting: a GET from a browser that is not a crawler."""
    agent = request.headers.get("User-Agent", "")
    return request.method == "GET" and bool(agent) and not BOTS.search(agent)


def cached_for_everyone(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A page that is the same for every reader (no form token, no session): shared caches may
    keep it a minute, and its content hash answers If-None-Match with a 304."""
    if response.status_code != 200:
        return response
    etag = quote_etag(hashlib.sha256(response.content).hexdigest()[:32])
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=SHARED_CACHE_SECONDS)
    return get_conditional_response(request, etag=etag, response=response) or response


def page_etag(parts: Mapping[str, object]) -> str:
    """A validator from what a page shows (not from its bytes: they hold a form token), and from
    the templates and translations that show it, so a deploy that changes them changes every
    page's tag."""
    shown = repr((templates_version(), sorted(parts.items())))
    return quote_etag(hashlib.sha256(shown.encode()).hexdigest()[:32])


@functools.cache
def templates_version() -> str:
    digest = hashlib.sha256()
    for path in sorted([*TEMPLATES.glob("*"), *TRANSLATIONS.glob("*/LC_MESSAGES/django.mo")]):
        digest.update(str(path.relative_to(settings.BASE_DIR)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]
