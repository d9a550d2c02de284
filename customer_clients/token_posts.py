"""What the widget's downloads (a transcript, a customer's own data) share: a POST that names the
inbox by its public key and the customer by their resume token, since no cookie authenticates
them, read into the identity it names or refused as the widget's other endpoints refuse."""

from django.http import HttpRequest

from conversations.models import ContactIdentity
from conversations.refusals import Refused

from .answers import Answered, json_post, refusal
from .visitors import identity_from_resume_token
from .widget import inbox_refusal, widget_inbox


def identity_posted(request: HttpRequest, *, max_bytes: int) -> ContactIdentity:
    """The identity the POSTed `public_key` and `resume_token` name; Answered with what ends the
    request otherwise (a preflight, a bad body, an unknown or closed inbox, a bad token: 401)."""
    payload = json_post(request, max_bytes=max_bytes)
    inbox = widget_inbox(str(payload.get("public_key") or ""))
    if (refused := inbox_refusal(inbox, request)) is not None:
        raise Answered(refused)
    try:
        return identity_from_resume_token(inbox, str(payload.get("resume_token") or ""))
    except Refused as refused:
        raise Answered(refusal(refused.code, refused.detail, 401, request.headers.get("Origin"))) from None
