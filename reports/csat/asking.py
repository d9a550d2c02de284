"""What a survey says, shaped for the channel (as the answer bot's replies are): five rating
buttons where the channel draws five (Capabilities.buttons), the inbox's number hint under the
question where it does not (SMS, WhatsApp's three), or WhatsApp's approved template past its
window, whose own quick-reply buttons count when their text starts with the rating. And the
activity lines agents read about the answer."""

from dataclasses import dataclass, field

from conversations.capabilities import capabilities_of
from conversations.models import MessageTemplate
from reports.models import CsatSettings

from .reading import NO_COMMENT_ID, RATINGS_SHOWN, rating_id

NOTE_COMMENT_CHARS = 1000  # the whole comment is on the survey and in the customer's own message


@dataclass(frozen=True)
class Asking:
    """One message to the customer: its text, the replies it offers, the template it goes as (if
    any), and the buttons that count as each rating (stored on the survey)."""

    body: str
    actions: list[dict] = field(default_factory=list)
    template: dict | None = None
    offered: list[dict] = field(default_factory=list)


def rating_buttons() -> list[dict]:
    """[{"id": "csat:1", "title": "1 ★"}, …, {"id": "csat:5", "title": "5 ★★★★★"}]."""
    return [{"id": rating_id(rating), "title": f"{rating} {'★' * rating}"} for rating in RATINGS_SHOWN]


def question(settings: CsatSettings, channel_type: str) -> Asking:
    buttons = rating_buttons()
    body = settings.question
    if capabilities_of(channel_type).buttons < len(buttons):
        body = f"{body}\n\n{settings.number_hint}"
    return Asking(body=body, actions=buttons, offered=buttons)


def template_question(template: MessageTemplate) -> Asking:
    """The approved template (no parameters) sent as the question; its quick-reply buttons whose
    text starts with a digit 1-5 count as that rating ("5 - Excellent")."""
    offered = []
    for component in template.components or []:
        if not isinstance(component, dict) or str(component.get("type", "")).upper() != "BUTTONS":
            continue
        for button in component.get("buttons") or []:
            text = str(button.get("text", "")).strip() if isinstance(button, dict) else ""
            if text[:1] in "12345" and text[:1] and not text[1:2].isdigit():
                offered.append({"id": rating_id(int(text[0])), "title": text})
    return Asking(
        body=template.render([]),
        template={"name": template.name, "language": template.language, "parameters": []},
        offered=offered,
    )


def after_rating(settings: CsatSettings) -> Asking:
    """The invitation to comment, with its button that declines; or thanks, when none is invited."""
    if settings.ask_comment:
        return Asking(
            body=settings.comment_prompt,
            actions=[{"id": NO_COMMENT_ID, "title": settings.no_comment_title}],
        )
    return Asking(body=settings.thanks)


def rated_note(rating: int) -> str:
    return f"Customer rated {rating}/5 in the satisfaction survey."


def commented_note(rating: int, comment: str) -> str:
    shown = comment if len(comment) <= NOTE_COMMENT_CHARS else comment[: NOTE_COMMENT_CHARS - 1] + "…"
    return f"Customer rated {rating}/5: {shown}"


def answered_again_note(rating: int, first: int) -> str:
    return (
        f"Customer answered the satisfaction survey again ({rating}/5); "
        f"their first answer ({first}/5) counts."
    )
