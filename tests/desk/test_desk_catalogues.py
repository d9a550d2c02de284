"""Every word of the desk is written in each language it speaks (agents.models.DESK_LANGUAGES):
no entry of locale/<language>/LC_MESSAGES/django.po or djangojs.po left empty or guessed ("fuzzy",
which gettext ignores), and the committed .mo files say what the .po files say. After adding or
changing words: python manage.py makemessages -l fr -l es -l pt --no-location (and -d djangojs),
translate, then python manage.py compilemessages --ignore=.venv."""

import gettext
import re
from pathlib import Path

import pytest

from agents.models import DESK_LANGUAGES
from tests.knowledge.test_helpcenter_languages import one_line_entries

LOCALE = Path(__file__).resolve().parents[2] / "locale"
TRANSLATED = [code for code, _ in DESK_LANGUAGES if code != "en"]
DOMAINS = ("django", "djangojs")


def entries(po: str) -> list[str]:
    return [block for block in po.split("\n\n") if re.search(r"(?m)^msgid ", block)]


def untranslated(block: str) -> bool:
    """An entry whose msgstr is empty (the header's msgid "" aside)."""
    is_header = re.search(r'(?m)^msgid ""\nmsgstr ""\n"', block) is not None
    return not is_header and re.search(r'(?m)^msgstr(\[0\])? ""$(?!\n")', block) is not None


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("language", TRANSLATED)
def test_every_desk_word_is_translated(language, domain):
    po = (LOCALE / language / "LC_MESSAGES" / f"{domain}.po").read_text()
    blocks = entries(po)
    assert len(blocks) > 20
    guessed = [block for block in blocks if "#, fuzzy" in block and 'msgid ""\nmsgstr ""\n"' not in block]
    assert guessed == []
    assert [block for block in blocks if untranslated(block)] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_script_words_are_the_written_ones(language):
    folder = LOCALE / language / "LC_MESSAGES"
    written = one_line_entries((folder / "djangojs.po").read_text())
    with (folder / "djangojs.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)
    assert {msgid: catalogue.gettext(msgid) for msgid in written} == written
