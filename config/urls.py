from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from api.errors import endpoint_not_found
from config import health, media
from knowledge.views.helpcenter import site_robots

admin.site.site_header = "Parley administration"
admin.site.site_title = "Parley"
admin.site.index_title = "Run the business"


class FaviconRedirect(RedirectView):
    """Browsers ask /favicon.ico where a page names no icon (JSON, Django's error pages): answer
    with Parley's one icon, resolved per request so a collected (hashed) static name is found."""

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("favicon.svg")


urlpatterns = [
    path("", RedirectView.as_view(url="/desk/", permanent=False)),
    path("admin/", admin.site.urls),
    path("desk/reports/", include("reports.urls")),
    path("desk/", include("desk.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", FaviconRedirect.as_view(), name="favicon"),
    path("robots.txt", site_robots, name="robots"),
    path("api/", include("api.urls")),
    path("media/<path:path>", media.serve, name="media"),
    path("help/", include("knowledge.urls")),
    path("", include("channels_in.urls")),
    path("", include("customer_clients.urls")),
    path("", include("simulator.urls")),
    re_path(r"^api/", endpoint_not_found),  # last: after the API channel's own /api/ routes
]
