"""Contacts: the customers, and how each is known on every inbox they write to."""

from django.db import models
from django.db.models import Q

from ..contact_display import Avatar, contact_avatar, display_name
from .inboxes import Inbox


class Contact(models.Model):
    """A customer. One contact may reach the business on many channels (see ContactIdentity)."""

    name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True, db_index=True)
    phone = models.CharField(max_length=32, blank=True, db_index=True, help_text="E.164, e.g. +14155550100")
    # Meta's profile pictures are signed CDN links, often longer than URLField's 200 characters.
    avatar_url = models.URLField(max_length=2000, blank=True)
    external_id = models.CharField(
        max_length=255, blank=True, help_text="The business's own user id, for identified visitors."
    )
    language = models.CharField(
        max_length=3,
        blank=True,
        help_text="Primary language code (en, fr, pt): from the browser, the business's page or an agent.",
    )
    custom_attributes = models.JSONField(default=dict, blank=True)
    visitor_context = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the widget last knew of the visitor: page, browser language, time zone, city "
        "(conversations.visitor_context).",
    )
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="contact_external_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """Their name, email or phone, else a friendly name from their id (contact_display)."""
        return display_name(contact_id=self.pk, name=self.name, email=self.email, phone=self.phone)

    @property
    def avatar(self) -> Avatar:
        return contact_avatar(contact_id=self.pk, name=self.display_name, avatar_url=self.avatar_url)


class ContactIdentity(models.Model):
    """How a contact is known on one inbox: phone number, page-scoped id, WhatsApp id, visitor id."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="identities")
    source_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "contact identities"
        constraints = [
            models.UniqueConstraint(fields=["inbox", "source_id"], name="identity_inbox_source_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} on {self.inbox}"
