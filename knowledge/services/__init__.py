"""Every change to the knowledge base goes through these functions (STYLE.md, "One layer owns
every change"). Refusals are ValidationErrors keyed by field, in sentences a person can act on."""

from .articles import (
    ARTICLE_FIELDS,
    MAX_ARTICLE_BODY,
    MAX_QUESTION,
    MAX_QUESTIONS,
    MAX_TITLE,
    article_create,
    article_set_status,
    article_update,
    article_validate,
)
from .checks import IMAGE_TYPES, MAX_IMAGE_BYTES
from .images import image_check, image_upload
from .portals import (
    CATEGORY_FIELDS,
    PORTAL_FIELDS,
    category_create,
    category_update,
    category_validate,
    portal_create,
    portal_update,
    portal_validate,
)
from .readers import article_record_feedback, article_record_view

__all__ = [
    "ARTICLE_FIELDS",
    "CATEGORY_FIELDS",
    "IMAGE_TYPES",
    "MAX_ARTICLE_BODY",
    "MAX_IMAGE_BYTES",
    "MAX_QUESTION",
    "MAX_QUESTIONS",
    "MAX_TITLE",
    "PORTAL_FIELDS",
    "article_create",
    "article_record_feedback",
    "article_record_view",
    "article_set_status",
    "article_update",
    "article_validate",
    "category_create",
    "category_update",
    "category_validate",
    "image_check",
    "image_upload",
    "portal_create",
    "portal_update",
    "portal_validate",
]
