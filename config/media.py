"""GET /media/<path>: stored attachments, and the help center's images and logos (help/). Their
paths hold a random part (attachment_path, knowledge's image_path), so a URL is the capability to
read one; answers never let a browser guess a type or run anything.

Only a regular file under attachments/ or help/ is served. Everything else (a directory at any level,
nothing, a path not in its one written form, a link out of the media root) is the same 404, so an
answer tells a stranger nothing about which conversations have files."""

import mimetypes
import os

from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
SERVED_FOLDERS = ("attachments", "help")


@require_GET
def serve(request: HttpRequest, path: str) -> FileResponse:
    stored = open_attachment(path)
    mime_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    inline = mime_type in INLINE_TYPES
    response = FileResponse(
        stored,
        content_type=mime_type if inline or mime_type == "application/pdf" else "application/octet-stream",
        as_attachment=not inline,
        filename=path.rsplit("/", 1)[-1],
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=86400"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


def open_attachment(path: str) -> File:
    """The stored attachment at `path`, open for reading; Http404 for anything but a file."""
    folder, *rest = path.split("/")
    if folder not in SERVED_FOLDERS or not rest or any(part in ("", ".", "..") for part in rest):
        raise Http404("No such file.")
    try:
        local_path = default_storage.path(path)
    except NotImplementedError:  # object storage: keys only, no directories and no links
        if not default_storage.exists(path):
            raise Http404("No such file.") from None
        return default_storage.open(path, "rb")
    except SuspiciousFileOperation:
        raise Http404("No such file.") from None
    return _open_local_file(local_path, root=default_storage.location)


def _open_local_file(local_path: str, *, root: str) -> File:
    """Open `local_path` if it is a regular file that is, links resolved, inside `root`. A
    directory exists() too: opening it was a 500 where a missing path was a 404."""
    real_root, real_path = os.path.realpath(root), os.path.realpath(local_path)
    if os.path.commonpath([real_root, real_path]) != real_root or not os.path.isfile(real_path):
        raise Http404("No such file.")
    try:
        return File(open(real_path, "rb"))  # FileResponse closes it
    except OSError:  # removed or made unreadable since the check
        raise Http404("No such file.") from None
