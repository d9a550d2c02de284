from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config import health, media

admin.site.site_header = "Parley administration"
admin.site.site_title = "Parley"
admin.site.index_title = "Run the business"

urlpatterns = [
    path("", RedirectView.as_view(url="/desk/", permanent=False)),
    path("admin/", admin.site.urls),
    path("desk/", include("agents.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("api/", include("api.urls")),
    path("media/<path:path>", media.serve, name="media"),
    path("", include("channels_in.urls")),
]
