from django.contrib.auth import views as auth_views
from django.urls import path

from . import template_picker
from .views import actions, article_picker, articles, conversation, customer, desk, mail, me, transcript

app_name = "desk"
urlpatterns = [
    path("", desk.desk, name="desk"),
    path("login/", auth_views.LoginView.as_view(template_name="desk/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="desk:login"), name="logout"),
    path("list/", desk.conversation_list, name="list"),
    path("list/<int:conversation_id>/", desk.conversation_row, name="row"),
    path("canned/", conversation.canned_responses, name="canned"),
    path("bulk/", actions.bulk, name="bulk"),
    path("filters/", desk.save_filter, name="save-filter"),
    path("filters/<int:filter_id>/delete/", desk.delete_filter, name="delete-filter"),
    path("me/", me.me, name="me"),
    path("me/availability/", me.availability, name="availability"),
    path("me/notifications/", me.notification_settings, name="notifications"),
    path("kb/", articles.article_list, name="kb"),
    path("kb/new/", articles.article_new, name="kb-new"),
    path("kb/preview/", articles.article_preview, name="kb-preview"),
    path("kb/<int:article_id>/", articles.article_edit, name="kb-article"),
    path("kb/<int:article_id>/translate/", articles.article_translate, name="kb-translate"),
    path("kb/portals/<int:portal_id>/images/", articles.image_upload, name="kb-image"),
    path("c/<int:conversation_id>/", conversation.conversation_pane, name="conversation"),
    path("c/<int:conversation_id>/history/", conversation.history_before, name="history"),
    path("c/<int:conversation_id>/transcript/", transcript.transcript, name="transcript"),
    path("c/<int:conversation_id>/after/", conversation.history_after, name="after"),
    path("c/<int:conversation_id>/header/", conversation.header, name="header"),
    path("c/<int:conversation_id>/reply/", actions.reply, name="reply"),
    path("c/<int:conversation_id>/read/", actions.mark_read, name="read"),
    path("c/<int:conversation_id>/articles/", article_picker.article_links, name="article-links"),
    path("c/<int:conversation_id>/templates/", template_picker.picker, name="template-picker"),
    path("c/<int:conversation_id>/templates/send/", template_picker.send, name="template-send"),
    path("c/<int:conversation_id>/templates/sync/", template_picker.sync, name="template-sync"),
    path("c/<int:conversation_id>/act/<slug:action>/", actions.act, name="act"),
    path("c/<int:conversation_id>/m/<int:message_id>/retry/", actions.retry, name="retry"),
    path("c/<int:conversation_id>/m/<int:message_id>/mail/", mail.mail_html, name="mail-html"),
    path("c/<int:conversation_id>/contact/", customer.contact_edit, name="contact-edit"),
    path("c/<int:conversation_id>/contact/search/", customer.contact_search, name="contact-search"),
    path("c/<int:conversation_id>/contact/merge/", customer.contact_merge, name="contact-merge"),
]
