"""Languages as routing reads them: a primary language subtag (ISO 639, "fr" of "fr-CA").

A contact's language comes from their browser (the widget), the business's page
(`Parley.setAttributes`) or an agent; an agent's are the ones they answer in. Routing only ever
compares primary subtags: a customer writing in Canadian French is served by a French speaker.
"""

import re

from django.core.exceptions import ValidationError

LANGUAGE_TAG = re.compile(r"([a-zA-Z]{2,3})(?:[-_][a-zA-Z0-9]{1,8})*")


def language_code(tag: str) -> str:
    """The primary subtag of a BCP 47 tag, lowercased ("pt-BR" -> "pt"); "" for "". Raises
    ValidationError for anything that is not a language tag."""
    tag = tag.strip()
    if not tag:
        return ""
    match = LANGUAGE_TAG.fullmatch(tag)
    if match is None:
        raise ValidationError(f'"{tag[:40]}" is not a language tag; write one like en, fr or pt-BR.')
    return match.group(1).lower()


def language_codes(text: str, *, strict: bool = True) -> list[str]:
    """Codes from a list separated by commas or spaces ("en, fr-CA pt"), in order, once each.
    Strict raises ValidationError for a part that is not a tag; otherwise such a part is skipped
    (routing reads what is stored and must not fail on it)."""
    parts = [part for part in re.split(r"[,\s]+", text) if part]
    if not strict:
        parts = [part for part in parts if LANGUAGE_TAG.fullmatch(part)]
    return list(dict.fromkeys(language_code(part) for part in parts))
