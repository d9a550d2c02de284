"""Names and pictures for customers a provider knows only by id (Messenger's PSID, Instagram's
IGSID): asked of the provider by a task once their message is stored, never on the message's path.

A contact with no name yet is asked about at most once a day (PROFILE_ASKED, a cache key set when
the job is queued), whatever the answer: a customer Graph will not show costs one call a day, not
one per message. A refusal is logged and leaves the contact as it was.
"""

import logging

from django.core.cache import cache

from conversations import jobs, services
from conversations.models import Contact, ContactIdentity, Inbox

from .adapters.base import PermanentDeliveryError, ProfileSource
from .adapters.by_provider import adapter_for_channel_type

logger = logging.getLogger(__name__)

FETCH_PROFILE = "channels_in.tasks.fetch_contact_profile"  # the job that calls contact_profile_fetch
ASK_AGAIN_AFTER_SECONDS = 24 * 60 * 60
# Refusals that are the inbox's fault, not the customer's: the operator has something to fix.
INBOX_PROBLEMS = frozenset({"190", "10", "not_configured"})


def profile_asked_key(contact_id: int) -> str:
    return f"parley:contact-profile-asked:{contact_id}"


def profile_ask_after_commit(*, inbox: Inbox, contact: Contact) -> None:
    """Queue a profile fetch for `contact`, who just wrote on `inbox`, once this transaction
    commits: only for a contact with no name yet, on a channel whose provider can be asked, and
    not if one was queued in the last day."""
    if contact.name or not isinstance(adapter_for_channel_type(inbox.channel_type), ProfileSource):
        return
    try:
        first_today = cache.add(profile_asked_key(contact.pk), 1, timeout=ASK_AGAIN_AFTER_SECONDS)
    except Exception:  # a cache that is down must not fail the message: ask at a later one
        logger.warning("contact %s: not asking for a profile, the cache is down", contact.pk, exc_info=True)
        return
    if first_today:
        jobs.run_after_commit(FETCH_PROFILE, contact.pk, inbox.pk)


def contact_profile_fetch(contact_id: int, inbox_id: int) -> Contact | None:
    """Ask the provider of `inbox` who the contact is there, and fill what is blank on the contact
    (services.contact_fill_profile). A refusal is logged and changes nothing; a transient error
    raises (the task retries). Returns the contact as stored, None when there was nothing to ask."""
    identity = (
        ContactIdentity.objects.select_related("contact", "inbox")
        .filter(contact_id=contact_id, inbox_id=inbox_id)
        .order_by("pk")
        .first()
    )
    if identity is None or (identity.contact.name and identity.contact.avatar_url):
        return None
    adapter = adapter_for_channel_type(identity.inbox.channel_type)
    if not isinstance(adapter, ProfileSource):
        return None
    try:
        profile = adapter.fetch_profile(identity.inbox, identity.source_id)
    except PermanentDeliveryError as refused:
        logger.log(
            logging.WARNING if refused.code in INBOX_PROBLEMS else logging.INFO,
            "contact %s: %s shows no profile for %s: %s",
            contact_id,
            identity.inbox.channel_type,
            identity.source_id,
            refused,
        )
        return None
    return services.contact_fill_profile(
        contact_id=contact_id, name=profile.name, avatar_url=profile.avatar_url
    )
