"""A conversation downloaded as a readable document (HTML, one file, no scripts): what its
customer saw, every public message with who wrote it and when, mail subjects, files listed and
linked; never a private note nor an agent-only line, so it can be handed to the customer."""

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET

from conversations import services

from ..view_helpers import conversation_or_404, desk_view


@require_GET
@desk_view
def transcript(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id, with_labels=False)
    lines = services.transcript_lines(conversation, customer_as=str(conversation.contact), limit=None)
    html = render_to_string(
        "desk/transcript.html", {"conversation": conversation, "lines": lines, "made_at": timezone.now()}
    )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="conversation-{conversation.pk}.html"'
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return response
