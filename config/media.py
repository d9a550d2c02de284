"""GET /media/<path>: stored attachments. Their paths hold a random part (attachment_path), so a
URL is the capability to read one; answers never let a browser guess a type or run anything."""

import mimetypes

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


@require_GET
def serve(request: HttpRequest, path: str) -> FileResponse:
    if ".." in path.split("/") or not path.startswith("attachments/") or not default_storage.exists(path):
        raise Http404("No such file.")
    mime_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    inline = mime_type in INLINE_TYPES
    response = FileResponse(
        default_storage.open(path, "rb"),
        content_type=mime_type if inline or mime_type == "application/pdf" else "application/octet-stream",
        as_attachment=not inline,
        filename=path.rsplit("/", 1)[-1],
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=86400"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
