from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Contact, ContactIdentity, Inbox


def contact_identify(
    *, inbox: Inbox, source_id: str, name: str = "", email: str = "", phone: str = ""
) -> Contact:
    """The contact known on `inbox` as `source_id` (a phone number, a page-scoped id, a visitor id),
    created with its identity on first sight. Safe when two first messages race: the identity's
    unique constraint picks one winner and the loser reads it."""
    source_id = source_id.strip()
    if not source_id:
        raise ValueError("source_id must not be empty")
    identity = (
        ContactIdentity.objects.select_related("contact").filter(inbox=inbox, source_id=source_id).first()
    )
    if identity is not None:
        return identity.contact
    try:
        with transaction.atomic():
            contact = Contact.objects.create(name=name, email=email, phone=phone, last_seen_at=timezone.now())
            ContactIdentity.objects.create(contact=contact, inbox=inbox, source_id=source_id)
            return contact
    except IntegrityError:
        return ContactIdentity.objects.select_related("contact").get(inbox=inbox, source_id=source_id).contact
