from django.urls import include, path

from . import hooks
from .email import forwarded

app_name = "channels_in"
urlpatterns = [
    # No trailing slash: Mailgun posts the raw MIME only to a URL that ends in "mime".
    path("hooks/mailgun/<str:key>/mime", forwarded.mailgun_forward, name="mailgun_forward"),
    path("hooks/<slug:provider>/<str:key>/", hooks.webhook, name="webhook"),
    path("api/v1/channel/", include("channels_in.api_channel.urls")),
]
