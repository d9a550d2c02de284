from celery import shared_task

from . import presence


@shared_task(ignore_result=True)
def sweep_agent_presence() -> int:
    return presence.agents_presence_sweep()
