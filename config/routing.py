"""Websocket routes under /ws/. Each route carries the checks its clients need: the desk is
session-authenticated and same-origin; the client socket authenticates by token and checks the
Origin against its inbox's allow-list itself (businesses embed it on their own sites)."""

from django.urls import path

from channels_in.consumers import ClientConsumer

websocket_urlpatterns = [
    path("ws/v1/client/", ClientConsumer.as_asgi()),
]
