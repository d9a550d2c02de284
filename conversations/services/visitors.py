"""What the widget knows about its visitor, kept on their contact (conversations.visitor_context)."""

from ..models import Contact
from ..visitor_context import cleaned_visitor_context


def contact_note_visitor_context(
    *, contact: Contact, given: object, city: str = "", country: str = ""
) -> Contact:
    """A session call's visitor context (`given`, the client's `context` object) and the city and
    country its request came from, checked (cleaned_visitor_context: bad values are dropped, never
    refused). A visit that says anything replaces what the last one said, so the panel never mixes
    an old page with a new time zone; one that says nothing (an app that sends no context, from
    no CDN) leaves it. One UPDATE, and only when something changed: a visitor reconnecting on the
    same page writes nothing. Not announced: the customer panel shows it at its next fetch."""
    context = cleaned_visitor_context(given, city=city, country=country)
    if not context or context == contact.visitor_context:
        return contact
    Contact.objects.filter(pk=contact.pk).update(visitor_context=context)
    contact.visitor_context = context
    return contact
