"""Websocket routes under /ws/. Each route carries the checks its clients need: the desk is
session-authenticated and same-origin; the client socket authenticates by token and checks the
Origin against its inbox's allow-list itself (businesses embed it on their own sites)."""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from customer_clients.consumers import ClientConsumer
from desk.consumers import DeskConsumer
from reports.consumers import FloorConsumer

websocket_urlpatterns = [
    path("ws/v1/client/", ClientConsumer.as_asgi()),
    path("ws/v1/desk/", AllowedHostsOriginValidator(AuthMiddlewareStack(DeskConsumer.as_asgi()))),
    path("ws/v1/floor/", AllowedHostsOriginValidator(AuthMiddlewareStack(FloorConsumer.as_asgi()))),
]
