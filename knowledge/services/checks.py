"""What every knowledge-base write checks before it stores anything: text a person can correct,
locales a portal offers, slugs, and image files. Each refusal is a ValidationError keyed by the
field, in a sentence that says what to do (forms and the admin show it on the field)."""

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.text import slugify

from conversations.boundary import unstorable
from conversations.files import safe_file_name, sniff

from ..models import LOCALE, Portal

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_IMAGE_BYTES = 5 * 1024 * 1024
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_HELP = "lowercase letters, digits and hyphens, such as reset-your-password"


def refuse(field: str, message: str) -> ValidationError:
    return ValidationError({field: [ValidationError(message, code="invalid")]})


def checked_text(
    value: object, *, field: str, label: str, max_length: int, required: bool = False, strip: bool = True
) -> str:
    """`value`, stripped of surrounding spaces unless `strip` is False; a refusal naming `label`
    when it is not text, is missing though required, is longer than `max_length` or holds what
    Postgres cannot store."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise refuse(field, f"The {label} must be text.")
    if len(value) > max_length:  # first: a huge value is refused before anything else reads it
        raise refuse(
            field,
            f"The {label} is {len(value):,} characters long; it can be at most {max_length:,}.",
        )
    if unstorable(value):
        raise refuse(field, f"The {label} holds a NUL character or a broken character; remove it.")
    if strip:
        value = value.strip()
    if required and not value.strip():
        raise refuse(field, f"The {label} is required.")
    return value


def checked_locale(portal: Portal, locale: str | None, *, field: str = "locale") -> str:
    """`locale`, or the portal's default when None; refused when the portal does not offer it."""
    if locale is None or locale == "":
        return portal.default_locale
    if not isinstance(locale, str) or locale not in portal.all_locales:
        offered = ", ".join(portal.all_locales)
        shown = str(locale)[:20]
        raise refuse(
            field,
            f'"{shown}" is not one of the locales of the help center "{portal.name}" ({offered}). '
            "Add it to the portal's locales first.",
        )
    return locale


def checked_locale_code(value: object, *, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise refuse(field, "Give a locale such as en, fr or pt-BR.")
    try:
        LOCALE(value)
    except ValidationError:
        raise refuse(field, f'"{value[:20]}" is not a locale; write one such as en, fr or pt-BR.') from None
    return value


def checked_locale_codes(values: Iterable[object], *, field: str, default: str) -> list[str]:
    """Distinct locale codes in their order, the default left out (Portal.all_locales adds it)."""
    if isinstance(values, str):
        raise refuse(field, 'The locales are a list, such as ["fr", "de"].')
    codes = [checked_locale_code(value, field=field) for value in values]
    return [code for code in dict.fromkeys(codes) if code != default]


def checked_position(value: object) -> int:
    """A position in a list (PositiveIntegerField): a whole number from 0."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2_147_483_647:
        raise refuse("position", "The position is a whole number, 0 or more.")
    return value


def checked_slug(value: object, *, field: str, max_length: int) -> str:
    if not isinstance(value, str) or not SLUG.fullmatch(value) or len(value) > max_length:
        raise refuse(field, f"A slug is at most {max_length} characters: {SLUG_HELP}.")
    return value


def free_slug(wanted: str, taken: QuerySet, *, max_length: int, fallback: str) -> str:
    """A slug made from `wanted` (a title or a name) that no row of `taken` has: "shipping",
    then "shipping-2", "shipping-3"... `taken` is the rows that share the slug's namespace."""
    base = re.sub(r"[-_]+", "-", slugify(wanted))[: max_length - 6].strip("-") or fallback
    pattern = rf"^{re.escape(base)}(-[0-9]+)?$"
    used = set(taken.filter(slug__regex=pattern).values_list("slug", flat=True))
    if base not in used:
        return base
    number = 2
    while f"{base}-{number}" in used:
        number += 1
    return f"{base}-{number}"


def checked_image(uploaded_file: UploadedFile, *, field: str) -> tuple[str, str]:
    """(MIME type, safe file name) of an image upload, judged by its content: PNG, JPEG, GIF or
    WebP of at most MAX_IMAGE_BYTES. Leaves the file positioned at its start."""
    size = uploaded_file.size or 0
    if size > MAX_IMAGE_BYTES:
        raise refuse(
            field,
            f"The image is {size / 1024 / 1024:.1f} MB; images can be at most "
            f"{MAX_IMAGE_BYTES // 1024 // 1024} MB.",
        )
    if size == 0:
        raise refuse(field, "The file is empty.")
    uploaded_file.seek(0)
    mime_type = sniff(uploaded_file.read(16))
    uploaded_file.seek(0)
    if mime_type not in IMAGE_TYPES:
        raise refuse(field, "Upload a PNG, JPEG, GIF or WebP image; this file is none of them.")
    return mime_type, safe_file_name(uploaded_file.name or "image", mime_type)
