"""A conversation downloaded as a readable document (HTML, one file, no scripts): what its
customer saw, every public message with who wrote it and when, mail subjects, files listed and
linked; never a private note nor an agent-only line, so it can be handed to the customer."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from conversations import services

from ..view_helpers import conversation_or_404, desk_view


@require_GET
@desk_view
def transcript(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id, with_labels=False)
    document = services.transcript_document(conversation=conversation, for_customer=False)
    response = HttpResponse(document.html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{document.file_name}"'
    response["Content-Security-Policy"] = document.content_security_policy
    return response
