import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events
from ..event_catalogue import EventType
from ..languages import language_code
from ..models import Contact, ContactIdentity, Conversation, Inbox

DETAIL_FIELDS = ("name", "email", "phone", "language")
LAST_SEEN_PRECISION = timedelta(minutes=1)
MAX_CUSTOM_ATTRIBUTES = 50
MAX_ATTRIBUTE_TEXT = 255
CUSTOM_ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_]{0,49}")
PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
E164 = re.compile(r"\+[1-9]\d{6,14}")


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


def contact_identify_for_message(
    *, inbox: Inbox, source_id: str, name: str = "", phone: str = ""
) -> tuple[Contact, int | None]:
    """contact_identify, and the conversation a message of theirs most likely goes to, read in the
    same query: their latest on the inbox (the one the reopen policy looks at) when it is open,
    else None (as for a new contact). A provider's webhook names no conversation; with this, its
    message can take the one-statement path (message_receive_once's `likely_conversation_id`).
    One raw query, not a compiled one: this runs for every message a provider sends. The embedded
    SQLite of `make run` has no one-statement path: contact_identify alone."""
    if connection.vendor != "postgresql":
        return contact_identify(inbox=inbox, source_id=source_id, name=name, phone=phone), None
    known = list(Contact.objects.raw(_known_contact_sql(), [inbox.pk, source_id.strip()]))
    if not known:
        return contact_identify(inbox=inbox, source_id=source_id, name=name, phone=phone), None
    contact = known[0]
    return contact, contact.latest_id if contact.latest_status == Conversation.Status.OPEN else None


@cache
def _known_contact_sql() -> str:
    contacts, identities = Contact._meta.db_table, ContactIdentity._meta.db_table
    conversations = Conversation._meta.db_table
    return f"""
        SELECT c.*, latest.id AS latest_id, latest.status AS latest_status
        FROM {identities} AS i JOIN {contacts} AS c ON c.id = i.contact_id
        LEFT JOIN LATERAL (
            SELECT v.id, v.status FROM {conversations} AS v
            WHERE v.inbox_id = i.inbox_id AND v.contact_id = i.contact_id
            ORDER BY v.last_activity_at DESC, v.id DESC LIMIT 1
        ) AS latest ON TRUE
        WHERE i.inbox_id = %s AND i.source_id = %s
    """  # noqa: S608 (names from the models' own metadata; every value is a parameter)


def contact_update_details(
    *, contact: Contact, name: str = "", email: str = "", phone: str = "", language: str = ""
) -> Contact:
    """Details a customer gave about themselves (a widget's "notify me by email or text", their
    browser's language). They may change an anonymous visitor's, but only fill what is blank on a
    verified user's: the business's own records win. The browser's language, the weakest word on
    it, only ever fills a blank. An empty value changes nothing. Raises ValidationError for an
    email that is not one, a phone number that is not international (normalised_phone) or a
    language that is not a language tag."""
    language = "" if contact.language else language
    changed = _apply_details(contact, _details_given(name=name, email=email, phone=phone, language=language))
    if changed:
        contact.save(update_fields=changed)
    return contact


def contact_fill_profile(*, contact_id: int, name: str = "", avatar_url: str = "") -> Contact | None:
    """What a provider says about a customer it knows only by id (Messenger's and Instagram's
    profiles): fills the contact's name and picture only where they are blank, never over what an
    agent, the customer or the business set. A picture that is not an http(s) link, or longer
    than the field keeps, is left out. Returns the contact as stored, or None when it is gone
    (merged into another meanwhile). Contact details are not announced to open pages (as
    contact_edit's are not): they show the name at their next fetch."""
    given = {"name": name.strip()[: Contact._meta.get_field("name").max_length], "avatar_url": ""}
    if avatar_url and len(avatar_url) <= Contact._meta.get_field("avatar_url").max_length:
        try:
            URLValidator(schemes=["http", "https"])(avatar_url)
            given["avatar_url"] = avatar_url
        except ValidationError:
            pass
    with transaction.atomic():
        contact = Contact.objects.select_for_update().filter(pk=contact_id).first()
        if contact is None:
            return None
        filled = [field for field, value in given.items() if value and not getattr(contact, field)]
        for field in filled:
            setattr(contact, field, given[field])
        if filled:
            contact.save(update_fields=[*filled, "updated_at"])
        return contact


def contact_set_attributes(*, contact: Contact, attributes: Mapping[str, object]) -> Contact:
    """What the business's page says about its visitor (the widget's `Parley.setAttributes`).

    `name`, `email`, `phone` and `language` (text, or null for "not given") go to the contact's own fields,
    by contact_update_details's rules: a verified user's are only filled where blank. Any other key
    is a custom attribute, merged into those stored (null removes one); verified or not, the page's
    values are taken. Names: a lowercase letter, then up to 49 lowercase letters, digits or `_`.
    Values: text of at most 255 characters, a number, true or false. At most 50 are kept.

    Everything is checked before anything is written: a ValidationError (naming what is wrong)
    leaves the contact as it was. Returns the contact as stored.
    """
    if not isinstance(attributes, Mapping):
        raise ValidationError(_("Attributes are an object of names and values."))
    details = {field: attributes[field] for field in DETAIL_FIELDS if field in attributes}
    for field, value in details.items():
        if value is not None and not isinstance(value, str):
            raise ValidationError(_("The attribute '%(name)s' must be text.") % {"name": field})
    given = _details_given(**{field: value or "" for field, value in details.items()})
    custom = {key: value for key, value in attributes.items() if key not in DETAIL_FIELDS}
    for key, value in custom.items():
        _check_custom_attribute(key, value)
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        stored = locked.custom_attributes if isinstance(locked.custom_attributes, dict) else {}
        merged = {key: value for key, value in {**stored, **custom}.items() if value is not None}
        if len(merged) > MAX_CUSTOM_ATTRIBUTES:
            raise ValidationError(
                _("A contact keeps at most %(most)s custom attributes: this would make %(count)s.")
                % {"most": MAX_CUSTOM_ATTRIBUTES, "count": len(merged)}
            )
        changed = _apply_details(locked, given)
        if custom:  # not compared with what is stored: 1 == True, and the page said true
            locked.custom_attributes = merged
            changed.append("custom_attributes")
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
    return locked


def normalised_phone(raw: str) -> str:
    """A phone number as E.164 ("+33 6 12-34-56-78" and "0033612345678" are "+33612345678"), or ""
    for none. Raises ValidationError for anything else: without its country code a number cannot
    be texted from another country, so a national one ("06 12 34 56 78") is refused."""
    number = PHONE_SEPARATORS.sub("", raw.strip())
    if number.startswith("00"):
        number = "+" + number[2:]
    if number and not E164.fullmatch(number):
        raise ValidationError(
            _("That phone number does not look right: write it with its country code, like +44 20 7946 0958.")
        )
    return number


def _details_given(*, name: str = "", email: str = "", phone: str = "", language: str = "") -> dict[str, str]:
    given = {
        "name": name.strip()[:200],
        "email": email.strip()[:254],
        "phone": normalised_phone(phone),
        "language": language_code(language),
    }
    if given["email"]:
        try:
            validate_email(given["email"])
        except ValidationError as error:
            raise ValidationError(
                _("That email address does not look right: write it whole, like kim@example.com.")
            ) from error
    return given


def _apply_details(contact: Contact, given: dict[str, str]) -> list[str]:
    """Sets the given details the rules allow on `contact` (in memory); returns the changed fields."""
    verified = bool(contact.external_id)
    changed = [
        field
        for field, value in given.items()
        if value and value != getattr(contact, field) and not (verified and getattr(contact, field))
    ]
    for field in changed:
        setattr(contact, field, given[field])
    return changed


def _check_custom_attribute(key: object, value: object) -> None:
    if not isinstance(key, str) or not CUSTOM_ATTRIBUTE_NAME.fullmatch(key):
        shown = repr(key)[:60]
        raise ValidationError(
            _(
                "Attribute names are a lowercase letter, then up to 49 lowercase letters, digits or _: "
                "%(name)s is not one."
            )
            % {"name": shown}
        )
    text_ok = isinstance(value, str) and len(value) <= MAX_ATTRIBUTE_TEXT
    number_ok = isinstance(value, int) or (
        isinstance(value, float) and math.isfinite(value)
    )  # bools are ints
    if not (value is None or text_ok or number_ok):
        raise ValidationError(
            _(
                "The attribute '%(name)s' must be text of at most %(most)s characters, a number, "
                "true, false or null."
            )
            % {"name": key, "most": MAX_ATTRIBUTE_TEXT}
        )


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
            {"type": EventType.CONTACT_IDENTITY_CHANGED, "identity_id": identity.pk},
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


def contact_edit(*, contact: Contact, name: str, email: str, phone: str, language: str = "") -> Contact:
    """An agent corrects a contact's details: what they type replaces what is stored (blank
    clears), checked like the customer's own. Raises ValidationError and changes nothing on a bad
    value."""
    given = {
        "name": name.strip()[:200],
        "email": _details_given(email=email)["email"],
        "phone": _details_given(phone=phone)["phone"],
        "language": language_code(language),
    }
    changed = [field for field, value in given.items() if getattr(contact, field) != value]
    for field in changed:
        setattr(contact, field, given[field])
    if changed:
        contact.save(update_fields=[*changed, "updated_at"])
    return contact


def contact_merge(*, keep: Contact, merge: Contact) -> Contact:
    """Fold `merge` into `keep`: its identities on every channel, its conversations and their
    history, and what `keep` does not know of it (blank fields, custom attributes) move to `keep`,
    then `merge` is deleted. Nothing is lost. Two verified users (different external ids) are two
    people and are refused. The customer's open sockets of `merge` re-open as `keep`.
    """
    if keep.pk == merge.pk:
        raise ValidationError(_("A contact cannot be merged with itself."))
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Contact.objects.select_for_update().filter(pk__in=[keep.pk, merge.pk]).order_by("pk")
        }
        keep, merge = locked[keep.pk], locked[merge.pk]
        if keep.external_id and merge.external_id and keep.external_id != merge.external_id:
            raise ValidationError(_("Both contacts are verified users of your app: they are two people."))
        moved_identities = list(merge.identities.values_list("pk", "inbox_id"))
        merge.identities.update(contact=keep)
        merge.conversations.update(contact=keep)
        filled = [
            field
            for field in ("name", "email", "phone", "language", "avatar_url", "visitor_context")
            if not getattr(keep, field) and getattr(merge, field)
        ]
        for field in filled:
            setattr(keep, field, getattr(merge, field))
        keep.custom_attributes = {**(merge.custom_attributes or {}), **(keep.custom_attributes or {})}
        external_id = keep.external_id or merge.external_id
        merged_id = merge.pk
        merge.delete()  # frees its external_id for `keep`
        keep.external_id = external_id
        keep.save()
        for identity_id, inbox_id in moved_identities:
            events.publish_on_commit(
                {"type": EventType.CONTACT_IDENTITY_CHANGED, "identity_id": identity_id},
                groups=[events.contact_group(merged_id, inbox_id)],
            )
        return keep


def contact_merge_suggestions(contact: Contact, limit: int = 5) -> list[Contact]:
    """Other contacts with the same email or phone: likely the same person on another channel."""
    same = Q()
    if contact.email:
        same |= Q(email__iexact=contact.email)
    if contact.phone:
        same |= Q(phone=contact.phone)
    if not same:
        return []
    return list(Contact.objects.filter(same).exclude(pk=contact.pk).order_by("-created_at")[:limit])


def last_seen_due(contact: Contact, now: datetime) -> bool:
    """Whether contact_touch_last_seen at `now` would write (as of when the caller read `contact`)."""
    return contact.last_seen_at is None or contact.last_seen_at < now - LAST_SEEN_PRECISION


def contact_touch_last_seen(contact: Contact, now: datetime | None = None) -> None:
    """The customer is here now (wrote, or a client of theirs connected or pinged). At most one
    write a minute per contact: last seen is for people, not for ordering."""
    now = now or timezone.now()
    if not last_seen_due(contact, now):
        return  # as of when the caller read the contact; the filter below decides races
    Contact.objects.filter(pk=contact.pk).filter(
        Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=now - LAST_SEEN_PRECISION)
    ).update(last_seen_at=now)
    contact.last_seen_at = now
