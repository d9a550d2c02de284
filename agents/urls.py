from django.contrib.auth import views as auth_views
from django.urls import path

from . import template_picker, views

app_name = "desk"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("login/", auth_views.LoginView.as_view(template_name="desk/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="desk:login"), name="logout"),
    path("list/", views.conversation_list, name="list"),
    path("canned/", views.canned_responses, name="canned"),
    path("bulk/", views.bulk, name="bulk"),
    path("filters/", views.save_filter, name="save-filter"),
    path("filters/<int:filter_id>/delete/", views.delete_filter, name="delete-filter"),
    path("me/", views.me, name="me"),
    path("me/availability/", views.availability, name="availability"),
    path("me/notifications/", views.notification_settings, name="notifications"),
    path("c/<int:conversation_id>/", views.conversation_pane, name="conversation"),
    path("c/<int:conversation_id>/history/", views.history_before, name="history"),
    path("c/<int:conversation_id>/after/", views.history_after, name="after"),
    path("c/<int:conversation_id>/header/", views.header, name="header"),
    path("c/<int:conversation_id>/reply/", views.reply, name="reply"),
    path("c/<int:conversation_id>/read/", views.mark_read, name="read"),
    path("c/<int:conversation_id>/templates/", template_picker.picker, name="template-picker"),
    path("c/<int:conversation_id>/templates/send/", template_picker.send, name="template-send"),
    path("c/<int:conversation_id>/templates/sync/", template_picker.sync, name="template-sync"),
    path("c/<int:conversation_id>/act/<slug:action>/", views.act, name="act"),
    path("c/<int:conversation_id>/m/<int:message_id>/retry/", views.retry, name="retry"),
    path("c/<int:conversation_id>/contact/", views.contact_edit, name="contact-edit"),
    path("c/<int:conversation_id>/contact/search/", views.contact_search, name="contact-search"),
    path("c/<int:conversation_id>/contact/merge/", views.contact_merge, name="contact-merge"),
]
