from celery import shared_task

from . import presence, routing


@shared_task(ignore_result=True)
def sweep_agent_presence() -> int:
    return presence.agents_presence_sweep()


@shared_task(ignore_result=True)
def reroute_live_chats_of_agents_gone() -> int:
    return routing.live_chats_of_agents_gone()
