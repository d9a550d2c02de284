"""/api/v1/channel/: the API channel's REST endpoints (included from channels_in/urls.py)."""

from django.urls import path

from . import views

app_name = "api_channel"
urlpatterns = [
    path("contacts", views.ContactCreate.as_view(), name="contacts"),
    path(
        "contacts/<path:source_id>/conversations",
        views.ContactConversationList.as_view(),
        name="contact-conversations",
    ),
    path("conversations/<int:id>/messages", views.ConversationMessageList.as_view(), name="messages"),
    path("messages", views.MessageCreate.as_view(), name="message-create"),
]
