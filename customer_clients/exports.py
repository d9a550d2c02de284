"""An identified customer downloads everything the business's Parley holds about them, from the
widget or their own app (docs/protocol.md, "Exporting your data").

POST /widget/api/v1/export, JSON: public_key and resume_token, as the widget's other HTTP calls.
The answer is the contact's archive (privacy.export: JSON files and their attachments in a ZIP),
the same one an administrator exports, recorded in the audit log as asked by the customer. Only
for a visitor the business identified (a user id proved with the inbox's HMAC): an anonymous
visitor's resume token is a browser's, not a person's proof, and may have been shared with the
device. A POST, not a link, for the transcript's reason: a URL would carry the token into logs.
"""

from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from audit.actors import Actor
from conversations.refusals import Refused
from privacy.services import export_contact

from .answers import Answered, cors, refusal
from .token_posts import identity_posted

MAX_EXPORT_BODY = 4 * 1024  # a key and a token


@csrf_exempt  # no cookie authenticates this endpoint: the resume token travels in the body
def download(request: HttpRequest) -> HttpResponse:
    origin = request.headers.get("Origin")
    try:
        identity = identity_posted(request, max_bytes=MAX_EXPORT_BODY)
    except Answered as answered:
        return answered.response
    contact = identity.contact
    if not contact.external_id:
        return refusal(
            "identity_required",
            "Only a signed-in customer can export their data: sign in on the business's site, or ask "
            "the business.",
            403,
            origin,
        )
    try:
        archive = export_contact(contact=contact, actor=Actor.customer(contact.pk), request=request)
    except Refused as refused:
        return refusal(refused.code, refused.detail, 409, origin)
    response = FileResponse(
        archive.file, as_attachment=True, filename=archive.file_name, content_type="application/zip"
    )
    response["Cache-Control"] = "no-store"  # the customer's data: kept by them, not by a cache
    response = cors(response, origin)
    if origin:
        response["Access-Control-Expose-Headers"] = "Content-Disposition"
    return response
