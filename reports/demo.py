"""The demo's manager view (`manage.py seed_reports`, run by `make run` after seed_demo): every demo
inbox asks for a rating on resolve, one service-level policy applies to all of them, and the
rollups take in what the demo already holds. Idempotent."""

from datetime import timedelta

from conversations.models import Inbox

from . import rollups
from .models import CsatSettings, SlaPolicy

DEMO_POLICY = "Standard (demo)"


def seed_reports() -> tuple[int, bool]:
    """(inboxes asking for ratings, whether the policy was created)."""
    inboxes = list(Inbox.objects.filter(is_active=True))
    for inbox in inboxes:
        CsatSettings.objects.get_or_create(inbox=inbox, defaults={"enabled": True})
    _, created = SlaPolicy.objects.get_or_create(
        name=DEMO_POLICY,
        defaults={
            "first_response": timedelta(minutes=15),
            "next_response": timedelta(minutes=30),
            "resolution": timedelta(days=1),
        },
    )
    rollups.catch_up()
    return len(inboxes), created
