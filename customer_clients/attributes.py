"""What the business's page says about its visitor, stored on the visitor's contact.

POST /widget/api/v1/attributes, JSON: public_key, resume_token and `attributes`, an object
(`window.Parley.setAttributes({...})` in the widget). name, email, phone and language go to the contact's own
fields, any other key to its custom attributes: conversations.services.contact_set_attributes has
the rules. The answer is the contact's details as stored; custom attributes are not echoed (the
business's own may be among them). A separate call from the session: a page's bad attribute is
refused here, and the visitor's chat goes on.
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from conversations import services
from conversations.refusals import Refused

from .answers import Answered, cors, json_post, refusal
from .visitors import identity_from_resume_token
from .widget import inbox_refusal, widget_inbox

MAX_ATTRIBUTES_BODY = 32 * 1024  # 50 values of 255 characters, with room for their names


@csrf_exempt  # no cookie authenticates this endpoint: the resume token travels in the body
def set_attributes(request: HttpRequest) -> HttpResponse:
    origin = request.headers.get("Origin")
    try:
        payload = json_post(request, max_bytes=MAX_ATTRIBUTES_BODY)
    except Answered as answered:
        return answered.response
    try:
        inbox = widget_inbox(str(payload["public_key"]))
        resume_token = str(payload.get("resume_token") or "")
        attributes = payload.get("attributes")
        if not isinstance(attributes, dict):
            raise TypeError("attributes must be an object")
    except (ValueError, KeyError, TypeError, AttributeError):
        return refusal(
            "bad_request", "Send JSON with public_key, resume_token and an attributes object.", 400, origin
        )
    if (refused := inbox_refusal(inbox, request)) is not None:
        return refused
    try:
        identity = identity_from_resume_token(inbox, resume_token)
    except Refused as refused:
        return refusal(refused.code, refused.detail, 401, origin)
    try:
        contact = services.contact_set_attributes(contact=identity.contact, attributes=attributes)
    except ValidationError as error:
        return refusal("invalid", " ".join(error.messages), 400, origin)
    details = {"name": contact.name, "email": contact.email, "phone": contact.phone}
    return cors(JsonResponse({"contact": details}), origin)
