"""What an administrator may do to records only services write: look, never add, edit or delete;
and delete a whole thread at once. Other apps' admins use these too."""

from django.db.models import Model
from django.http import HttpRequest

from ..models import Attachment, DeliveryAttempt, LiveSession, Message, OutboundDelivery, ReadMarker


class ReadOnlyAdminMixin:
    """For records only services write: listed and inspected, never added, edited or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class DeletesWholeThreadsMixin:
    """Deleting a contact or a conversation takes the whole thread with it, which leaves every
    surviving conversation's `seq` gap-free. The read-only admins refuse deletion one by one, and
    Django would read that refusal as a veto on the cascade too; here only the real model
    permission counts for the records listed in `cascades`."""

    cascades: tuple[type[Model], ...] = (
        Message,
        Attachment,
        OutboundDelivery,
        DeliveryAttempt,
        LiveSession,
        ReadMarker,
    )

    def get_deleted_objects(self, objs, request: HttpRequest):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        permitted = {
            str(model._meta.verbose_name)
            for model in self.cascades
            if request.user.has_perm(f"{model._meta.app_label}.delete_{model._meta.model_name}")
        }
        return deleted, counts, perms_needed - permitted, protected
