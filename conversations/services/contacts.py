from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import events
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


def contact_update_details(*, contact: Contact, name: str = "", email: str = "", phone: str = "") -> Contact:
    """Details a customer gave about themselves (a widget's "notify me by email"). They may change
    an anonymous visitor's, but only fill what is blank on a verified user's: the business's own
    records win. Raises ValidationError for an email that is not one."""
    given = {"name": name.strip()[:200], "email": email.strip()[:254], "phone": phone.strip()[:32]}
    if given["email"]:
        try:
            validate_email(given["email"])
        except ValidationError as error:
            raise ValidationError("That email address does not look right.") from error
    verified = bool(contact.external_id)
    changed = [
        field
        for field, value in given.items()
        if value and value != getattr(contact, field) and not (verified and getattr(contact, field))
    ]
    for field in changed:
        setattr(contact, field, given[field])
    if changed:
        contact.save(update_fields=changed)
    return contact


def contact_verify_external_id(
    *, identity: ContactIdentity, external_id: str, new_source_id: str, name: str = "", email: str = ""
) -> ContactIdentity:
    """The visitor behind `identity` has proven to be the business's user `external_id`.

    Returns the identity to use from now on:
    - the same one, when its contact already is that user;
    - the same one, re-pointed to that user's contact (created if new), when the visitor was
      anonymous: their conversations so far move with them, so history follows the user;
    - a new identity (`new_source_id`) on that user's contact, when the visitor was someone else
      (a shared device): the other user's history stays theirs.
    """
    external_id = external_id.strip()
    if not external_id:
        raise ValueError("external_id must not be empty")
    with transaction.atomic():
        identity = ContactIdentity.objects.select_for_update().select_related("contact").get(pk=identity.pk)
        current = identity.contact
        if current.external_id == external_id:
            return identity
        user_contact = _contact_for_external_id(external_id, name=name, email=email)
        if current.external_id:
            return ContactIdentity.objects.create(
                contact=user_contact, inbox=identity.inbox, source_id=new_source_id
            )
        anonymous_contact_id = current.pk  # delete() clears it
        current.conversations.update(contact=user_contact)
        current.identities.update(contact=user_contact)
        current.delete()  # an anonymous contact with nothing left
        events.publish_on_commit(
            {"type": events.CONTACT_IDENTITY_CHANGED, "identity_id": identity.pk},
            groups=[events.contact_group(anonymous_contact_id, identity.inbox_id)],
        )
        identity.refresh_from_db()
        return identity


def _contact_for_external_id(external_id: str, *, name: str, email: str) -> Contact:
    contact = Contact.objects.select_for_update().filter(external_id=external_id).first()
    if contact is not None:
        return contact
    try:
        with transaction.atomic():
            return Contact.objects.create(external_id=external_id, name=name, email=email)
    except IntegrityError:
        return Contact.objects.get(external_id=external_id)
