"""The reports' background jobs: id-only or none, each calls one service."""

from celery import shared_task

from . import rollups, sla, sla_warnings


@shared_task
def catch_up_rollups() -> int:
    """Beat, every 5 minutes: the days new facts touch are recomputed."""
    return rollups.catch_up()


@shared_task
def sweep_sla_breaches() -> int:
    """Beat, every 30 seconds: a clock near its deadline is warned, and one past it is recorded
    missed, within a minute."""
    sla_warnings.sla_warnings_sweep()
    return sla.sla_breaches_sweep()
