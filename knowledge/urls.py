"""The public help center, under /help/ (config/urls.py). Names are used by knowledge.links too."""

from django.urls import path

from .views import feedback, helpcenter

app_name = "knowledge"

urlpatterns = [
    path("<slug:portal_slug>/", helpcenter.portal_root, name="portal"),
    path("<slug:portal_slug>/sitemap.xml", helpcenter.sitemap, name="sitemap"),
    path("<slug:portal_slug>/robots.txt", helpcenter.robots, name="robots"),
    path("<slug:portal_slug>/<str:locale>/", helpcenter.home, name="home"),
    path("<slug:portal_slug>/<str:locale>/search", helpcenter.search, name="search"),
    path(
        "<slug:portal_slug>/<str:locale>/categories/<slug:category_slug>/",
        helpcenter.category,
        name="category",
    ),
    path("<slug:portal_slug>/<str:locale>/articles/<slug:article_slug>/", helpcenter.article, name="article"),
    path(
        "<slug:portal_slug>/<str:locale>/articles/<slug:article_slug>/feedback",
        feedback.article_feedback,
        name="article_feedback",
    ),
]
