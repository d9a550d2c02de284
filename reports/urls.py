from django.urls import path

from . import floor_views, views

app_name = "reports"

urlpatterns = [
    path("", views.report, name="overview"),
    path("floor/", floor_views.floor_page, name="floor"),
    path("floor/live/", floor_views.floor_fragment, name="floor-live"),
    path("<slug:page>/", views.report, name="page"),
]
