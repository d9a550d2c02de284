"""The reports' background jobs: id-only or none, each calls one service."""

from celery import shared_task

from . import rollups


@shared_task
def catch_up_rollups() -> int:
    """Beat, every 5 minutes: the days new facts touch are recomputed."""
    return rollups.catch_up()
