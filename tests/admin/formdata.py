"""Read an admin form out of the rendered page and post it back the way a browser would.

Posting what the page rendered (management forms, split date-time inputs, the inlines) keeps the
tests honest about the real form, instead of hand-written dicts that drift from it.
"""

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser

from django.http import HttpResponse

SKIPPED_INPUT_TYPES = {"submit", "button", "file", "image", "reset"}
NOT_FORM_FIELDS = {"csrfmiddlewaretoken", "action", "select_across", "index", "_selected_action"}


@dataclass
class Select:
    name: str
    multiple: bool
    options: list[str] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._select: Select | None = None
        self._textarea: str | None = None
        self._textarea_text = ""

    def _add(self, name: str, value: str) -> None:
        if "__prefix__" not in name:  # the hidden template row that admin's JS clones
            self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name:
            kind = (attributes.get("type") or "text").lower()
            if kind in SKIPPED_INPUT_TYPES or "disabled" in attributes:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attributes:
                    self._add(name, attributes.get("value") or "on")
                return
            self._add(name, attributes.get("value") or "")
        elif tag == "select" and name:
            self._select = Select(name, multiple="multiple" in attributes)
        elif tag == "option" and self._select is not None:
            value = attributes.get("value") or ""
            self._select.options.append(value)
            if "selected" in attributes:
                self._select.selected.append(value)
        elif tag == "textarea" and name:
            self._textarea, self._textarea_text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            select, self._select = self._select, None
            chosen = select.selected
            if not chosen and not select.multiple and select.options:
                chosen = select.options[:1]  # what a browser submits for a single select
            self.fields.setdefault(select.name, []) if "__prefix__" not in select.name else None
            for value in chosen:
                self._add(select.name, value)
        elif tag == "textarea" and self._textarea is not None:
            # Django starts a textarea's content with a newline that browsers drop.
            self._add(self._textarea, self._textarea_text.removeprefix("\n"))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea_text += data


def form_data(response: HttpResponse) -> dict[str, str | list[str]]:
    """The admin page's form fields as a browser would submit them unchanged."""
    assert response.status_code == 200, response.status_code
    parser = FormParser()
    parser.feed(response.content.decode())
    data: dict[str, str | list[str]] = {}
    for name, values in parser.fields.items():
        if name in NOT_FORM_FIELDS or not values:
            continue
        data[name] = values if len(values) != 1 else values[0]
    return data


def with_settings(data: dict, config: dict) -> dict:
    """`data` (an inbox's admin form) with `config` entered as a person would: each key with a
    field of its own typed in that field, the rest as JSON in the "other settings" box."""
    data = {name: ("" if name.startswith("setting_") else value) for name, value in data.items()}
    others = {}
    for key, value in config.items():
        if f"setting_{key}" in data:
            data[f"setting_{key}"] = "" if value is None else str(value)
        else:
            others[key] = value
    data["config"] = json.dumps(others)
    return data


def form_errors(answer: HttpResponse) -> list[str]:
    """Every error the admin form shows, on any field (the form was not saved)."""
    assert answer.status_code == 200, "the form was saved"
    errors = answer.context["adminform"].form.errors
    return [f"{name}: {message}" for name, messages in errors.items() for message in messages]
