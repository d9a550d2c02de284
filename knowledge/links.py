"""Where the help center shows an article, as an absolute link (chat messages leave the site)."""

from django.conf import settings
from django.urls import reverse

from .models import Article


def article_url(article: Article) -> str:
    path = reverse(
        "knowledge:article",
        kwargs={"portal_slug": article.portal.slug, "locale": article.locale, "article_slug": article.slug},
    )
    return f"{settings.PUBLIC_URL.rstrip('/')}{path}"
