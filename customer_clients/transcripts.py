"""A customer downloads their conversation's transcript from the widget (or their own app).

POST /widget/api/v1/conversations/<id>/transcript, JSON: public_key and resume_token, as the
widget's other HTTP calls. The answer is one HTML document served as a download, the desk's own
(conversations.services.transcript_document): every public message, the customer's as "You",
files linked; never a private note nor an agent-only line. Only the visitor's own conversation on
this inbox; any other id is answered as one that does not exist.

Why a POST the widget saves as a file, not a link: the widget runs in an iframe on the business's
site, and a link would carry the resume token in its URL, into access logs and the browser's
history. The frame fetches the document with the token in the body and saves the blob.
"""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from conversations import services
from conversations.refusals import Refused

from .answers import Answered, cors, refusal
from .client_actions import own_conversation
from .token_posts import identity_posted

MAX_TRANSCRIPT_BODY = 4 * 1024  # a key and a token


@csrf_exempt  # no cookie authenticates this endpoint: the resume token travels in the body
def download(request: HttpRequest, conversation_id: int) -> HttpResponse:
    origin = request.headers.get("Origin")
    try:
        identity = identity_posted(request, max_bytes=MAX_TRANSCRIPT_BODY)
    except Answered as answered:
        return answered.response
    try:
        conversation = own_conversation(identity, conversation_id)
    except Refused as refused:
        return refusal(refused.code, refused.detail, 404, origin)
    document = services.transcript_document(conversation=conversation, for_customer=True)
    response = HttpResponse(document.html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{document.file_name}"'
    response["Content-Security-Policy"] = document.content_security_policy
    response["Cache-Control"] = "no-store"  # the customer's words: kept by them, not by a cache
    response = cors(response, origin)
    if origin:
        response["Access-Control-Expose-Headers"] = "Content-Disposition"
    return response
