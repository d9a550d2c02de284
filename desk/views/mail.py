"""A mail as its sender wrote it (its HTML), shown inside the conversation in a sandboxed frame.

Twice inert: sanitised by an allow-list (the mail's HTML is kept as it came and cleaned whenever
it is shown: conversations/mail_html.py), and served with a policy that lets the frame run
nothing and load nothing from elsewhere. Remote images (a tracking pixel says
when and where a mail was read) load only when the agent asks: `?images=1`. Pictures pasted into
the mail (`cid:` images, the mail's own parts) are put in place as `data:` URLs: the sandboxed
frame could not fetch them with the agent's session, and they tell the sender nothing.
"""

import base64

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from conversations.mail_html import content_ids_named, sanitized_html
from conversations.models import Attachment, MessageEmail

from ..view_helpers import conversation_or_404, desk_view

INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
INLINE_BYTES = 8 * 1024 * 1024  # the most a mail's inline pictures put in its page, all together
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
    shown = sanitized_html(mail.html, remote_images=images, inline_images=_inline_images(mail))
    response = HttpResponse(PAGE.format(shown))
    response["Content-Security-Policy"] = WITH_IMAGES if images else BLOCKED
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, max-age=300"
    return response


def _inline_images(mail: MessageEmail) -> dict[str, str]:
    """The pictures the mail's HTML names by Content-ID, as data: URLs, while they fit INLINE_BYTES;
    a part that is no picture, is past the budget or is gone from storage is left out (its alt
    text shows)."""
    shown = content_ids_named(mail.html)
    named = {place: cid for cid, place in mail.inline_images.items() if cid in shown}
    if not named:
        return {}
    parts = (
        Attachment.objects.filter(message_id=mail.message_id)
        .order_by("pk")
        .only("file", "mime_type", "byte_size")
    )
    pictures, budget = {}, INLINE_BYTES
    for place, part in enumerate(parts):
        if place not in named or part.mime_type not in INLINE_TYPES or not part.file:
            continue
        if part.byte_size > budget:
            break
        try:
            with part.file.open("rb") as file:
                content = file.read()
        except OSError:  # gone from storage: its alt text shows, the mail still does
            continue
        budget -= len(content)
        pictures[named[place]] = f"data:{part.mime_type};base64,{base64.b64encode(content).decode()}"
    return pictures
