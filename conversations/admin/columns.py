"""What the admin's lists and pages show beside the fields: counts per row without a query each,
and links to a record's own page. Other apps' admins use these too."""

from django.db.models import Count, IntegerField, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html

from ..models import Conversation

OPEN_STATUSES = (Conversation.Status.OPEN, Conversation.Status.PENDING, Conversation.Status.SNOOZED)


def related_count(related: QuerySet, to_outer: str) -> Coalesce:
    """Count related rows per listed row in one correlated subquery: no query per row, and two
    counts on one row do not multiply each other's joins."""
    counted = (
        related.filter(**{to_outer: OuterRef("pk")})
        .order_by()
        .values(to_outer)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def admin_link(record: Model | None, text: str = "") -> str:
    if record is None:
        return "-"
    opts = record._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
    return format_html('<a href="{}">{}</a>', url, text or str(record))
