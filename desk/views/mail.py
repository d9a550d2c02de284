"""A mail as its sender wrote it (its HTML), shown inside the conversation in a sandboxed frame.

Twice inert: sanitised by an allow-list (the mail's HTML is kept as it came and cleaned whenever
it is shown: conversations/mail_html.py), and served with a policy that lets the frame run
nothing and load nothing from elsewhere. Remote images (a tracking pixel says
when and where a mail was read) load only when the agent asks: `?images=1`.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from conversations.mail_html import sanitized_html
from conversations.models import MessageEmail

from ..view_helpers import conversation_or_404, desk_view

BLOCKED = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
WITH_IMAGES = "default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'; sandbox"
PAGE = (
    '<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">'
    "<style>body{{font:14px/1.45 system-ui,sans-serif;margin:8px;color:#1f2328;overflow-wrap:anywhere}}"
    "img{{max-width:100%;height:auto}}</style></head><body>{}</body></html>"
)


@require_GET
@desk_view
@xframe_options_sameorigin
def mail_html(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    conversation = conversation_or_404(request, conversation_id, with_labels=False)
    mail = MessageEmail.objects.filter(
        message_id=message_id, message__conversation_id=conversation.pk
    ).first()
    if mail is None or not mail.html:
        raise Http404("This message has no mail to show.")
    images = request.GET.get("images") == "1"
    response = HttpResponse(PAGE.format(sanitized_html(mail.html, remote_images=images)))
    response["Content-Security-Policy"] = WITH_IMAGES if images else BLOCKED
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, max-age=300"
    return response
