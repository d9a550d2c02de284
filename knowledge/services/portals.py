"""Portals (one help center per brand) and their categories."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from conversations.models import Inbox

from ..models import HEX_COLOUR, Article, Category, Portal
from .checks import (
    checked_image,
    checked_locale,
    checked_locale_code,
    checked_locale_codes,
    checked_position,
    checked_slug,
    checked_text,
    free_slug,
    refuse,
)

PORTAL_FIELDS = frozenset(
    {"name", "slug", "tagline", "color", "default_locale", "locales", "inboxes", "is_public", "logo"}
)
CATEGORY_FIELDS = frozenset({"name", "slug", "description", "position", "locale"})
DEFAULT_COLOUR = "#2563eb"


def portal_create(
    *,
    name: str,
    slug: str | None = None,
    tagline: str = "",
    color: str = DEFAULT_COLOUR,
    default_locale: str = "en",
    locales: Iterable[str] = (),
    inboxes: Iterable[Inbox] = (),
    is_public: bool = True,
    logo: UploadedFile | None = None,
) -> Portal:
    """A new help center at /help/<slug>/. The slug is made from the name when not given (numbered
    when taken). Raises ValidationError, naming the field, for what cannot be stored as given."""
    given = {
        "name": name,
        "slug": slug,
        "tagline": tagline,
        "color": color,
        "default_locale": default_locale,
        "locales": locales,
        "is_public": is_public,
    }
    values = portal_validate(portal=None, **given)
    with transaction.atomic():
        if values["slug"] is None:
            values["slug"] = free_slug(name, Portal.objects.all(), max_length=60, fallback="help")
        portal = Portal(**values)
        if logo is not None:
            _set_logo(portal, logo)
        portal.save()
        portal.inboxes.set(list(inboxes))
    return portal


def portal_update(*, portal: Portal, **fields: Any) -> Portal:
    """Change the given fields (PORTAL_FIELDS) of `portal`. `logo`: an uploaded image, or None to
    remove it; `inboxes`: the full new set. A locale that still has articles or categories cannot
    be removed. Raises ValidationError, naming the field."""
    unknown = set(fields) - PORTAL_FIELDS
    if unknown:
        raise TypeError(f"portal_update() got unexpected fields: {', '.join(sorted(unknown))}")
    inboxes = fields.pop("inboxes", None)
    logo_given, logo = "logo" in fields, fields.pop("logo", None)
    values = portal_validate(portal=portal, **fields)
    with transaction.atomic():
        for field, value in values.items():
            if value is not None or field != "slug":
                setattr(portal, field, value)
        if logo_given:
            if logo is None:
                portal.logo = ""
            else:
                _set_logo(portal, logo)
        portal.save()
        if inboxes is not None:
            portal.inboxes.set(list(inboxes))
    return portal


def portal_validate(*, portal: Portal | None, **fields: Any) -> dict[str, Any]:
    """The given portal fields, checked and cleaned (forms call it to show errors on their
    fields before saving). `portal` is the one being changed, None for a new one."""
    values: dict[str, Any] = {}
    if "name" in fields:
        values["name"] = checked_text(
            fields["name"], field="name", label="name", max_length=120, required=True
        )
    if "tagline" in fields:
        values["tagline"] = checked_text(fields["tagline"], field="tagline", label="tagline", max_length=255)
    if fields.get("slug") is not None:
        values["slug"] = checked_slug(fields["slug"], field="slug", max_length=60)
        if Portal.objects.filter(slug=values["slug"]).exclude(pk=getattr(portal, "pk", None)).exists():
            raise refuse("slug", f"Another help center already lives at /help/{values['slug']}/.")
    elif "slug" in fields:
        values["slug"] = None
    if "color" in fields:
        values["color"] = _checked_colour(fields["color"])
    if "is_public" in fields:
        values["is_public"] = bool(fields["is_public"])
    if "default_locale" in fields or "locales" in fields:
        default = fields.get("default_locale", getattr(portal, "default_locale", "en"))
        values["default_locale"] = checked_locale_code(default, field="default_locale")
        values["locales"] = checked_locale_codes(
            fields.get("locales", getattr(portal, "locales", [])), field="locales", default=default
        )
        if portal is not None:
            _check_no_locale_left_behind(portal, {values["default_locale"], *values["locales"]})
    return values


def category_create(
    *,
    portal: Portal,
    name: str,
    locale: str | None = None,
    slug: str | None = None,
    description: str = "",
    position: int = 0,
) -> Category:
    """A category of `portal`'s articles in `locale` (the portal's default when None), at
    /help/<portal>/<locale>/categories/<slug>/; the slug is made from the name when not given."""
    values = category_validate(
        category=None,
        portal=portal,
        name=name,
        locale=locale,
        slug=slug,
        description=description,
        position=position,
    )
    with transaction.atomic():
        if values["slug"] is None:
            same_shelf = Category.objects.filter(portal=portal, locale=values["locale"])
            values["slug"] = free_slug(name, same_shelf, max_length=80, fallback="category")
        return Category.objects.create(portal=portal, **values)


def category_update(*, category: Category, **fields: Any) -> Category:
    """Change the given fields (CATEGORY_FIELDS). A category that holds articles keeps its locale."""
    unknown = set(fields) - CATEGORY_FIELDS
    if unknown:
        raise TypeError(f"category_update() got unexpected fields: {', '.join(sorted(unknown))}")
    values = category_validate(category=category, portal=category.portal, **fields)
    with transaction.atomic():
        for field, value in values.items():
            if value is not None or field != "slug":
                setattr(category, field, value)
        category.save()
    return category


def category_validate(*, category: Category | None, portal: Portal, **fields: Any) -> dict[str, Any]:
    """The given category fields, checked and cleaned; `category` is None for a new one."""
    values: dict[str, Any] = {}
    if "name" in fields:
        values["name"] = checked_text(
            fields["name"], field="name", label="name", max_length=120, required=True
        )
    if "description" in fields:
        values["description"] = checked_text(
            fields["description"], field="description", label="description", max_length=300
        )
    if "position" in fields:
        values["position"] = checked_position(fields["position"])
    locale = category.locale if category is not None else None
    if "locale" in fields or category is None:
        locale = values["locale"] = checked_locale(portal, fields.get("locale"))
        if category is not None and locale != category.locale and category.articles.exists():
            raise refuse(
                "locale",
                f"This category holds articles in {category.locale}; move them to another "
                "category before changing its locale.",
            )
    if fields.get("slug") is not None:
        values["slug"] = checked_slug(fields["slug"], field="slug", max_length=80)
        taken = Category.objects.filter(portal=portal, locale=locale, slug=values["slug"])
        if taken.exclude(pk=getattr(category, "pk", None)).exists():
            raise refuse("slug", f'Another category in {locale} already uses the slug "{values["slug"]}".')
    elif "slug" in fields:
        values["slug"] = None
    return values


def _checked_colour(value: object) -> str:
    if not isinstance(value, str):
        raise refuse("color", "The colour is a CSS hex colour such as #2563eb.")
    try:
        HEX_COLOUR(value.strip())
    except ValidationError:
        raise refuse("color", "The colour is a CSS hex colour such as #2563eb.") from None
    return value.strip().lower()


def _check_no_locale_left_behind(portal: Portal, kept: set[str]) -> None:
    removed = set(portal.all_locales) - kept
    if not removed:
        return
    in_use = sorted(
        set(Article.objects.filter(portal=portal, locale__in=removed).values_list("locale", flat=True))
        | set(Category.objects.filter(portal=portal, locale__in=removed).values_list("locale", flat=True))
    )
    if in_use:
        raise refuse(
            "locales",
            f"The help center still has articles or categories in {', '.join(in_use)}; move or delete "
            "them before removing the locale.",
        )


def _set_logo(portal: Portal, logo: UploadedFile) -> None:
    _mime_type, file_name = checked_image(logo, field="logo")
    portal.logo.save(file_name, logo, save=False)
