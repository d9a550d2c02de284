from django.urls import path

from . import attributes, exports, help, transcripts, uploads, views, widget

app_name = "customer_clients"
urlpatterns = [
    path("widget.js", widget.loader, name="widget-loader"),
    path("widget/frame/", widget.frame, name="widget-frame"),
    path("widget/api/v1/config", widget.config, name="widget-config"),
    path("widget/api/v1/session", views.session, name="widget-session"),
    path("widget/api/v1/messages", uploads.upload, name="widget-upload"),
    path("widget/api/v1/attributes", attributes.set_attributes, name="widget-attributes"),
    path(
        "widget/api/v1/conversations/<int:conversation_id>/transcript",
        transcripts.download,
        name="widget-transcript",
    ),
    path("widget/api/v1/export", exports.download, name="widget-export"),
    path("widget/api/v1/help/search", help.search, name="widget-help-search"),
    path("widget/api/v1/help/articles/<int:article_id>", help.article, name="widget-help-article"),
]
