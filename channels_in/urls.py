from django.urls import path

from . import views

app_name = "channels_in"
urlpatterns = [
    path("widget/api/v1/session", views.session, name="widget-session"),
]
