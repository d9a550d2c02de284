"""The reports' background jobs: id-only or none, each calls one service."""

from celery import shared_task

from . import rollups, sla


@shared_task
def catch_up_rollups() -> int:
    """Beat, every 5 minutes: the days new facts touch are recomputed."""
    return rollups.catch_up()


@shared_task
def sweep_sla_breaches() -> int:
    """Beat, every 30 seconds: a clock past its deadline is recorded missed within a minute."""
    return sla.sla_breaches_sweep()
