"""Images for articles: uploaded once, linked from an article's Markdown by their URL."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile

from ..models import ArticleImage, Portal
from .checks import checked_image


def image_check(*, uploaded_file: UploadedFile) -> str:
    """The image's MIME type if image_upload would take it; ValidationError on `file` if not
    (forms call it to show the refusal on the field)."""
    return checked_image(uploaded_file, field="file")[0]


def image_upload(
    *, portal: Portal, uploaded_file: UploadedFile, actor: AbstractBaseUser | None
) -> ArticleImage:
    """Store an image for `portal`'s articles: PNG, JPEG, GIF or WebP judged by its content (its
    name and declared type are not believed), at most MAX_IMAGE_BYTES, under a random path and a
    name that matches its type. Raises ValidationError on the `file` field; nothing is stored."""
    mime_type, file_name = checked_image(uploaded_file, field="file")
    image = ArticleImage(portal=portal, mime_type=mime_type, byte_size=uploaded_file.size, uploaded_by=actor)
    image.file.save(file_name, uploaded_file, save=False)
    try:
        image.save()
    except BaseException:
        image.file.delete(save=False)  # no row, no file: nothing points at it
        raise
    return image
