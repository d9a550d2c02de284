"""Writing the audit log: one function, `record`, for every source.

A caller inside a transaction gets its entry committed or rolled back with the change it
describes. `details` holds ids, names and counts, never a message's text or a secret.

    from audit.actors import Actor, Target
    from audit.models import Action
    from audit.services import record

    record(actor=Actor.administrator(request.user), action=Action.CONTACT_ERASED,
           target=Target.of(contact), details={"conversations": 3}, request=request)
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from conversations import services
from conversations.models import Contact

from .actors import LABEL_LENGTH, Actor, Target
from .context import NOWHERE, Origin, actor_of_request, origin_of
from .models import Action, AuditEntry

NO_TARGET = Target("", "", "")


def record(
    *,
    actor: Actor,
    action: Action,
    target: Target = NO_TARGET,
    details: Mapping[str, Any] | None = None,
    request: HttpRequest | None = None,
    origin: Origin | None = None,
) -> AuditEntry:
    """Append one entry. `request` (or an `origin` already taken from one) gives the IP and the
    request id; without either they stay empty."""
    if action not in Action.values:
        raise ValueError(f"{action!r} is not an audited action (audit.models.Action)")
    where = origin if origin is not None else origin_of(request) if request is not None else NOWHERE
    return AuditEntry.objects.create(**_fields(actor, action, target, details, where))


def record_many(entries: Iterable[dict[str, Any]]) -> list[AuditEntry]:
    """Append several entries in one statement; each item: record()'s keyword arguments but
    `request`."""
    rows = [
        AuditEntry(
            **_fields(
                entry["actor"],
                entry["action"],
                entry.get("target", NO_TARGET),
                entry.get("details"),
                entry.get("origin") or NOWHERE,
            )
        )
        for entry in entries
    ]
    return AuditEntry.objects.bulk_create(rows) if rows else []


def contact_merge_audited(*, keep: Contact, merge: Contact, request: HttpRequest) -> Contact:
    """conversations.services.contact_merge for a person acting through `request` (the desk, the
    API), with its entry in the same transaction. The core's service takes no actor and tells
    no event of a merge, so the door that knows who asked records it."""
    merged_id = merge.pk
    with transaction.atomic():
        kept = services.contact_merge(keep=keep, merge=merge)
        record(
            actor=actor_of_request(request),
            action=Action.CONTACT_MERGED,
            target=Target.of(kept),
            details={"merged_contact_id": merged_id},
            request=request,
        )
    return kept


def user_target(user: AbstractBaseUser) -> Target:
    return Target.from_model(user._meta.model, user.pk, user.get_username())


def _fields(
    actor: Actor, action: Action, target: Target, details: Mapping[str, Any] | None, origin: Origin
) -> dict[str, Any]:
    return {
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_label": actor.label[:LABEL_LENGTH],
        "action": action,
        "target_type": target.type,
        "target_id": target.id,
        "target_label": target.label[:LABEL_LENGTH],
        "details": dict(details or {}),
        "ip": origin.ip,
        "request_id": origin.request_id,
    }
