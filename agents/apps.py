from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents and teams"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from conversations import registry

        from . import presence, routing, services
        from .coalescing import Coalesced

        user_logged_out.connect(services.close_desks_on_logout, dispatch_uid="agents.close_desks_on_logout")
        registry.register_presence(presence.inbox_has_someone_online)
        registry.register_router(
            route_inbox=Coalesced(routing.route_inbox), route_for_agent=Coalesced(routing.route_for_agent)
        )
        registry.register_stickiness(routing.keeps_assignee)
