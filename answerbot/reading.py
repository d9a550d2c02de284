"""How the bot reads what a customer wrote: a request for a person, a yes or no to "did that solve
it?", a pick among the replies it offered (a tapped button arrives as its title; on channels without
buttons, as its number), or an email address or phone number left for people.

Words are matched accent-folded and case-folded, as whole words. A long message that merely
mentions an "agent" is a question, not a request: requests are short, or an explicit phrase.
"""

import re
import unicodedata
from collections.abc import Sequence
from enum import StrEnum

PERSON_WORDS = {
    "en": "human humans person agent agents operator representative someone",
    "fr": "humain humaine personne conseiller conseillere agent operateur quelqu'un",
    "de": "mensch menschen mitarbeiter mitarbeiterin berater beraterin agent person",
    "es": "humano humana persona agente asesor asesora operador alguien",
    "pt": "humano humana pessoa atendente agente operador alguem",
    "it": "umano persona operatore operatrice agente qualcuno",
    "nl": "mens medewerker persoon agent iemand",
}
PERSON_PHRASES = (
    "talk to a human", "talk to a person", "talk to someone", "speak to a human", "speak to a person",
    "speak to someone", "speak to an agent", "talk to an agent", "real person", "live agent",
    "customer service",
    "parler a un humain", "parler a quelqu'un", "mit einem menschen", "hablar con una persona",
    "hablar con un humano", "falar com um atendente", "parlare con un operatore",
)  # fmt: skip
YES_WORDS = frozenset(
    [
        "yes",
        "yeah",
        "yep",
        "yup",
        "y",
        "ok",
        "okay",
        "thanks",
        "thank",
        "solved",
        "perfect",
        "great",
        "works",
        "worked",
        "helped",
        "oui",
        "merci",
        "ja",
        "danke",
        "si",
        "gracias",
        "sim",
        "obrigado",
        "obrigada",
        "grazie",
    ]
)
NO_WORDS = frozenset(
    [
        "no",
        "nope",
        "nah",
        "n",
        "not",
        "didn't",
        "didnt",
        "doesn't",
        "doesnt",
        "wrong",
        "non",
        "nein",
        "nicht",
        "nao",
    ]
)
SHORT_REQUEST_WORDS = 6
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"\+?\d[\d ()./-]{6,}\d")


class Reply(StrEnum):
    SOLVED = "solved"
    NOT_SOLVED = "not_solved"
    PERSON = "person"
    ANSWER_NOW = "answer_now"


def folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).replace("\u2019", "'")


def words_of(text: str) -> list[str]:
    return re.findall(r"[\w']+", folded(text))


def asks_for_person(text: str, extra_words: Sequence[str] = ()) -> bool:
    flat = " ".join(words_of(text))
    if any(phrase in flat for phrase in PERSON_PHRASES):
        return True
    words = flat.split()
    if not words or len(words) > SHORT_REQUEST_WORDS:
        return False
    vocabulary = {word for line in PERSON_WORDS.values() for word in line.split()}
    vocabulary |= {folded(word).strip() for word in extra_words if word.strip()}
    return any(word in vocabulary for word in words)


def picked_action(text: str, actions: Sequence[dict]) -> str | None:
    """The id of the offered reply the customer chose: by number ("2"), by its title (a tapped
    button), or by its id; None when the text is not a pick."""
    stripped = folded(text).strip().strip(".!)")
    if stripped.isdigit() and 1 <= int(stripped) <= len(actions):
        return actions[int(stripped) - 1]["id"]
    for action in actions:
        if stripped in (folded(action["title"]).strip(), folded(action["id"])):
            return action["id"]
    return None


def yes_or_no(text: str) -> Reply | None:
    """A short answer to "did that solve it?"; None for anything else (a new question)."""
    words = words_of(text)
    if not words or len(words) > SHORT_REQUEST_WORDS:
        return None
    if any(word in NO_WORDS for word in words):
        return Reply.NOT_SOLVED
    if any(word in YES_WORDS for word in words):
        return Reply.SOLVED
    return None


def contact_details(text: str) -> dict[str, str]:
    """An email address and/or phone number found in the text, as contact fields."""
    details = {}
    if email := EMAIL.search(text):
        details["email"] = email.group(0)
    if phone := PHONE.search(text):
        details["phone"] = re.sub(r"[^\d+]", "", phone.group(0))
    return details
