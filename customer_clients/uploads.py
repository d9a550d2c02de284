"""Files a visitor sends from the widget: checked by their content, not their name, and stored
with their message in one step (idempotent by client_message_id, like message.send).

POST /widget/api/v1/messages, multipart: public_key, resume_token, client_message_id, optional
conversation_id and body, and one `file`. The answer is the stored message, as a message.ack
carries it; the visitor's other sockets and the agents hear message.created as usual. A resend
(same client_message_id) is answered with the stored message before its file is read.
"""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from conversations import selectors, services
from conversations.files import MAX_FILE_BYTES, safe_file_name, sniff, too_big, unsupported_file
from conversations.models import Conversation
from conversations.refusals import Refused

from . import protocol
from .answers import cors, refusal
from .visitors import identity_from_resume_token
from .widget import inbox_refusal, widget_inbox


@csrf_exempt  # no cookie authenticates this endpoint: the resume token travels in the body
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    origin = request.headers.get("Origin")
    inbox = widget_inbox(request.POST.get("public_key", ""))
    if (refused := inbox_refusal(inbox, request)) is not None:
        return refused
    try:
        identity = identity_from_resume_token(inbox, request.POST.get("resume_token", ""))
    except Refused as refused:
        return refusal(refused.code, refused.detail, 401, origin)
    file = request.FILES.get("file")
    client_message_id = request.POST.get("client_message_id", "")
    if file is None or not 8 <= len(client_message_id) <= 64:
        return refusal(protocol.ErrorCode.BAD_REQUEST, "Send one file and a client_message_id.", 400, origin)
    replayed = selectors.message_sent_by_contact(
        inbox_id=inbox.pk, contact_id=identity.contact_id, client_message_id=client_message_id
    )
    if replayed is not None:  # a resend after a lost answer: the stored message, nothing stored again
        return cors(JsonResponse({"message": protocol.message_payload(replayed)}), origin)
    if file.size > MAX_FILE_BYTES:
        return refusal(protocol.ErrorCode.TOO_BIG, too_big(), 413, origin)
    content = file.read()
    mime_type = sniff(content[:16])
    if mime_type is None:
        return refusal("unsupported_type", unsupported_file(file.name or ""), 415, origin)
    try:
        conversation_id = (
            int(request.POST["conversation_id"]) if request.POST.get("conversation_id") else None
        )
        message = services.message_receive(
            inbox=inbox,
            contact=identity.contact,
            conversation_id=conversation_id,
            body=request.POST.get("body", ""),  # the service refuses what is too long, never cuts
            client_message_id=client_message_id,
            attachments=[
                services.AttachmentInput(
                    mime_type=mime_type, file_name=safe_file_name(file.name or "", mime_type), content=content
                )
            ],
        )
    except (ValueError, Conversation.DoesNotExist):
        return refusal(protocol.ErrorCode.NOT_FOUND, "No such conversation.", 404, origin)
    except ValidationError as error:
        return refusal(protocol.ErrorCode.INVALID, " ".join(error.messages), 400, origin)
    return cors(JsonResponse({"message": protocol.message_payload(message)}), origin)
