from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who did what to which object and when: the append-only audit log (docs/audit.md)."""

    name = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
        from django.db.models.signals import post_save
        from rest_framework.authtoken.models import Token

        from conversations import events

        from . import receivers

        user_logged_in.connect(receivers.signed_in, dispatch_uid="audit.signed_in")
        user_logged_out.connect(receivers.signed_out, dispatch_uid="audit.signed_out")
        user_login_failed.connect(receivers.sign_in_failed, dispatch_uid="audit.sign_in_failed")
        post_save.connect(receivers.api_key_issued, sender=Token, dispatch_uid="audit.api_key_issued")
        # Durable: an assignment's or a merge's entry commits or rolls back with the change itself.
        events.subscribe_durably(receivers.record_conversation_events)
