"""The audit log: one row per thing someone did, never changed and never deleted.

Append-only three times over: the model refuses to save an existing row or to delete one, its
querysets refuse update() and delete(), and on Postgres a trigger refuses UPDATE and DELETE from
anyone (migration 0002). Rows name their actor and target as they were (audit.actors), with no
foreign key a deletion could cascade through.
"""

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone

from .actors import LABEL_LENGTH, ActorKind


class Action(models.TextChoices):
    """Stable dotted names: exports and outside tools filter on them, so a name never changes
    meaning; a new kind of action gets a new name."""

    SIGNED_IN = "user.signed_in", "Signed in"
    SIGN_IN_FAILED = "user.sign_in_failed", "Sign-in failed"
    SIGNED_OUT = "user.signed_out", "Signed out"
    API_KEY_ISSUED = "api_key.issued", "API key issued"
    ADMIN_ADDED = "admin.added", "Added in the admin"
    ADMIN_CHANGED = "admin.changed", "Changed in the admin"
    ADMIN_DELETED = "admin.deleted", "Deleted in the admin"
    ADMIN_ACTION = "admin.action_run", "Admin action run"
    CONVERSATION_ASSIGNED = "conversation.assigned", "Conversation assigned"
    CONVERSATION_MERGED = "conversation.merged", "Conversation merged"
    CONTACT_MERGED = "contact.merged", "Contact merged"
    CONTACT_EXPORTED = "contact.exported", "Contact's data exported"
    CONTACT_ERASED = "contact.erased", "Contact erased"
    AUDIT_EXPORTED = "audit.exported", "Audit log exported"
    RULE_ADDED = "automation_rule.added", "Automation rule added in the desk"
    RULE_CHANGED = "automation_rule.changed", "Automation rule changed in the desk"
    RULE_DELETED = "automation_rule.deleted", "Automation rule deleted in the desk"


class AppendOnly(Exception):
    """An attempt to change or delete what the audit log has written."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("Audit entries are never changed.")

    def delete(self) -> NoReturn:
        raise AppendOnly("Audit entries are never deleted.")


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, editable=False)
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(
        max_length=LABEL_LENGTH, blank=True, help_text="As the actor was named then."
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=LABEL_LENGTH, blank=True)
    details = models.JSONField(default=dict, blank=True, help_text="Ids and names, never a message's text.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_newest_first"),
            models.Index(fields=["action", "-at"], name="audit_by_action"),
            models.Index(fields=["actor_kind", "actor_id", "-at"], name="audit_by_actor"),
            models.Index(fields=["target_type", "target_id", "-at"], name="audit_by_target"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label or self.get_actor_kind_display()}: {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnly("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("Audit entries are never deleted.")
