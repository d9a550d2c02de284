"""Bulk admin actions as a door: one service call per selected record, each in its own
transaction, and one message that says what changed. Other apps' admins use these too."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest


@dataclass
class ActionOutcome:
    """What a bulk action did, one service call per selected record."""

    changed: int = 0
    unchanged: int = 0
    failures: list[str] = field(default_factory=list)


def apply_each(records: QuerySet, change: Callable[[Model], bool]) -> ActionOutcome:
    """Call `change` (one service call, its own transaction) per record, in primary-key order so
    locks are always taken in the same order; one refusal does not undo the others."""
    outcome = ActionOutcome()
    for record in records.order_by("pk"):
        try:
            changed = change(record)
        except ValidationError as error:
            outcome.failures.append(f"#{record.pk}: {' '.join(error.messages)}")
            continue
        if changed:
            outcome.changed += 1
        else:
            outcome.unchanged += 1
    return outcome


def report_outcome(
    model_admin: admin.ModelAdmin, request: HttpRequest, outcome: ActionOutcome, *, done: str, skipped: str
) -> None:
    """Tell the administrator how many records changed, how many were left alone, and why any failed."""

    def counted(number: int) -> str:
        return f"{number} {model_ngettext(model_admin.model, number)}"

    if outcome.changed:
        model_admin.message_user(request, f"{done}: {counted(outcome.changed)}.", messages.SUCCESS)
    if outcome.unchanged:
        model_admin.message_user(request, f"{skipped}: {counted(outcome.unchanged)}.", messages.INFO)
    if outcome.failures:
        model_admin.message_user(
            request,
            f"Failed for {counted(len(outcome.failures))}: " + "; ".join(outcome.failures),
            messages.ERROR,
        )
