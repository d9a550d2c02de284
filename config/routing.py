"""Websocket routes under /ws/. Each app contributes its consumers here."""

websocket_urlpatterns: list = []
