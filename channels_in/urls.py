from django.urls import include, path

from . import attributes, hooks, simulator, uploads, views, widget

app_name = "channels_in"
urlpatterns = [
    path("widget.js", widget.loader, name="widget-loader"),
    path("widget/frame/", widget.frame, name="widget-frame"),
    path("widget/api/v1/config", widget.config, name="widget-config"),
    path("widget/api/v1/session", views.session, name="widget-session"),
    path("widget/api/v1/messages", uploads.upload, name="widget-upload"),
    path("widget/api/v1/attributes", attributes.set_attributes, name="widget-attributes"),
    path("hooks/<slug:provider>/<str:key>/", hooks.webhook, name="webhook"),
    path("api/v1/channel/", include("channels_in.api_channel.urls")),
    # make run's demo only (404 unless the provider simulator runs): play a customer.
    path("simulator/", simulator.page, name="simulator"),
    path("simulator/api/send", simulator.send, name="simulator-send"),
    path("simulator/api/messages", simulator.messages, name="simulator-messages"),
]
