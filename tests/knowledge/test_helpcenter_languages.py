"""The help center speaks the language of the page: its buttons, headings, messages and dates, in
every language Parley ships words for (locale/), and English where it has none."""

import ast
import datetime
import gettext
import json
import re
from pathlib import Path

import pytest
from django.test import Client

from knowledge import services
from knowledge.models import Article, Portal
from knowledge.views.pages import page_language, shipped_languages
from tests.knowledge.factories import CategoryFactory, PortalFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
# "How can we help?", the home page's heading, in each language Parley ships.
HOW_CAN_WE_HELP = {
    "fr": "Comment pouvons-nous vous aider ?",
    "de": "Wie können wir helfen?",
    "es": "¿En qué podemos ayudarte?",
    "pt": "Como podemos ajudar?",
    "it": "Come possiamo aiutarti?",
    "nl": "Waarmee kunnen we helpen?",
}


@pytest.fixture
def reader() -> Client:
    return Client(HTTP_USER_AGENT=BROWSER)


@pytest.fixture
def portal() -> Portal:
    return PortalFactory(slug="acme", name="Acme", tagline="", default_locale="en", locales=["fr", "ja"])


def published_in(portal: Portal, locale: str, title: str) -> Article:
    category = CategoryFactory(portal=portal, locale=locale, name="Compte")
    article = services.article_create(
        portal=portal, locale=locale, category=category, title=title, body="Ouvrez **Réglages**.", author=None
    )
    return services.article_set_status(article=article, status="published", actor=None)


@pytest.mark.parametrize("language", sorted(HOW_CAN_WE_HELP))
def test_the_compiled_words_are_the_written_ones(language):
    """django.mo is committed (servers need no gettext tools): it must say what django.po says.
    After editing a .po: python manage.py compilemessages --ignore=.venv"""
    folder = ROOT / "locale" / language / "LC_MESSAGES"
    written = one_line_entries((folder / "django.po").read_text())
    with (folder / "django.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)

    assert len(written) > 20
    assert {msgid: catalogue.gettext(msgid) for msgid in written} == written
    assert language in shipped_languages()


def one_line_entries(po: str) -> dict[str, str]:
    """The .po's entries whose msgid and msgstr each fit on one line, without context or plural."""
    entries = [
        re.search(r'(?m)^msgid "(.+)"\nmsgstr "(.+)"$', block)
        for block in po.split("\n\n")
        if "msgctxt" not in block and "msgid_plural" not in block
    ]
    return {
        ast.literal_eval(f'"{entry[1]}"'): ast.literal_eval(f'"{entry[2]}"') for entry in entries if entry
    }


@pytest.mark.parametrize("language", sorted(HOW_CAN_WE_HELP))
def test_the_home_page_speaks_the_portals_language(reader, language):
    PortalFactory(slug="acme", tagline="", default_locale="en", locales=[language])

    page = reader.get(f"/help/acme/{language}/").content.decode()

    assert f'<html lang="{language}"' in page
    assert HOW_CAN_WE_HELP[language] in page
    assert "How can we help?" not in page


def test_a_french_article_page_has_french_words_and_a_french_date(reader, portal):
    article = published_in(portal, "fr", "Réinitialiser votre mot de passe")
    changed = datetime.datetime(2026, 12, 3, 9, tzinfo=datetime.UTC)
    Article.objects.filter(pk=article.pk).update(updated_at=changed)

    page = reader.get(f"/help/acme/fr/articles/{article.slug}/").content.decode()

    for words in ("Cet article vous a-t-il aidé ?", "Tous les sujets", "Mis à jour le", "3 décembre 2026"):
        assert words in page
    for english in ("Was this article helpful?", "All topics", "Updated", "December"):
        assert english not in page


def test_a_refused_search_says_why_in_the_pages_language(reader, portal):
    page = reader.get("/help/acme/fr/search", {"q": "x" * 600})

    assert page.status_code == 400
    assert "Une recherche compte au plus 500 caractères" in page.content.decode()


def test_the_feedback_thanks_in_the_pages_language(reader, portal):
    article = published_in(portal, "fr", "Réinitialiser votre mot de passe")

    answer = reader.post(
        f"/help/acme/fr/articles/{article.slug}/feedback", {"helpful": "yes"}, HTTP_ACCEPT="application/json"
    )

    assert json.loads(answer.content) == {"message": "Merci de nous l\u2019avoir dit !"}


def test_a_language_parley_has_no_words_for_is_english_throughout(reader, portal):
    """Japanese dates beside English words would be worse than English alone."""
    article = published_in(portal, "ja", "パスワードの再設定")
    changed = datetime.datetime(2026, 12, 3, 9, tzinfo=datetime.UTC)
    Article.objects.filter(pk=article.pk).update(updated_at=changed)

    page = reader.get(f"/help/acme/ja/articles/{article.slug}/").content.decode()

    assert "Was this article helpful?" in page
    assert ">Dec. 3, 2026</time>" in page  # not 2026年12月3日
    assert page_language("ja") == "en"


def test_brazilian_portuguese_reads_portuguese_words(reader):
    PortalFactory(slug="acme", tagline="", default_locale="pt-BR", locales=[])

    page = reader.get("/help/acme/pt-BR/").content.decode()

    assert HOW_CAN_WE_HELP["pt"] in page
    assert page_language("pt-BR") == "pt-br"


def test_a_locale_the_portal_lacks_is_explained_in_its_default_language(reader):
    PortalFactory(slug="acme", tagline="", default_locale="fr", locales=[])

    page = reader.get("/help/acme/de/")

    assert page.status_code == 404
    assert "Ce centre d\u2019aide n\u2019est pas disponible en « de »" in page.content.decode()
    assert '<html lang="fr"' in page.content.decode()


def test_english_pages_stay_english_after_a_french_one(reader, portal):
    """The language is the page's, not the process's: a French page leaves nothing behind."""
    reader.get("/help/acme/fr/")

    page = reader.get("/help/acme/en/").content.decode()

    assert "How can we help?" in page
