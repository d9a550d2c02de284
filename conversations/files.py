"""Files people send: what is allowed is decided by content, not by the name or the declared type.

Shared by every door that takes uploads (the widget's, the desk's composer).
"""

import unicodedata
from pathlib import PurePath

from django.utils.translation import gettext as _

MAX_FILE_BYTES = 10 * 1024 * 1024
# What a file's first bytes say it is. Only types a browser shows without running anything: no
# SVG, no HTML (both carry script).
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def too_big() -> str:
    """What to tell whoever sent a file over MAX_FILE_BYTES, in the reader's language."""
    return _("Files can be at most 10 MB: send a smaller one, or a link to it.")


def unsupported_file(file_name: str) -> str:
    """What to tell whoever sent a file of a type Parley does not send: which type, and what to
    send instead (the name's extension only names it: the content decided)."""
    suffix = PurePath(file_name.replace("\\", "/")).suffix.lower()
    printable = suffix.isprintable() and 1 < len(suffix) <= 12
    if printable:
        return _(
            "Files of type %(suffix)s cannot be sent here. Send an image (JPEG, PNG, GIF or WebP) or a PDF."
        ) % {"suffix": suffix}
    return _("Files of this type cannot be sent here. Send an image (JPEG, PNG, GIF or WebP) or a PDF.")


def sniff(head: bytes) -> str | None:
    """The MIME type of an allowed file from its content, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return next((mime for magic, mime in SIGNATURES if head.startswith(magic)), None)


MAX_PROVIDER_MEDIA_BYTES = (
    25 * 1024 * 1024
)  # WhatsApp's documents go to 100 MB; the rest stay at the provider
# Customers' phones also send voice notes and videos; a browser plays these without running code.
MEDIA_SIGNATURES = (
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"#!AMR", "audio/amr"),
    (b"\x1aE\xdf\xa3", "video/webm"),
)


def sniff_media(head: bytes) -> str | None:
    """What `sniff` allows, plus audio and video: for media a provider hands over."""
    if head[4:8] == b"ftyp":
        return "audio/mp4" if head[8:11] == b"M4A" else "video/mp4"
    return sniff(head) or next((mime for magic, mime in MEDIA_SIGNATURES if head.startswith(magic)), None)


EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "audio/amr": ".amr",
    "audio/mp4": ".m4a",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
}


def safe_file_name(name: str, mime_type: str) -> str:
    """The last path part, printable characters only, with the extension of what the file is
    (the media view serves by extension: a JPEG named page.html is stored as page.jpg)."""
    base = PurePath(name.replace("\\", "/")).name
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] not in "CZ" or c == " ").strip()
    stem = PurePath(cleaned).stem[:90].strip() or "file"
    return stem + EXTENSIONS[mime_type]
