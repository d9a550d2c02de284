from django.urls import include, path

from . import hooks

app_name = "channels_in"
urlpatterns = [
    path("hooks/<slug:provider>/<str:key>/", hooks.webhook, name="webhook"),
    path("api/v1/channel/", include("channels_in.api_channel.urls")),
]
