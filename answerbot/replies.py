"""What the bot says, shaped for the channel: offered replies become buttons where the channel
draws them (Capabilities.buttons) and numbered lines where it does not ("Reply 1 …"), so an SMS
customer answers with a digit. The customer's answer comes back as a message either way (a tapped
button arrives as its title), read by answerbot.reading."""

from collections.abc import Sequence
from dataclasses import dataclass, field

from conversations.capabilities import capabilities_of
from knowledge.links import article_url
from knowledge.markdown import plain_text
from knowledge.search import SearchHit

from .reading import Reply

SNIPPET_CHARS = 160
SMS_SNIPPET_CHARS = 0  # SMS: titles and links only, to stay within a few segments


@dataclass(frozen=True)
class BotSays:
    body: str
    actions: list[dict] = field(default_factory=list)


CONFIRM = [
    {"id": Reply.SOLVED, "title": "Yes, that solved it"},
    {"id": Reply.NOT_SOLVED, "title": "No, talk to a person"},
]
CHOOSE = [
    {"id": Reply.ANSWER_NOW, "title": "Get an answer now"},
    {"id": Reply.PERSON, "title": "Talk to a person"},
]


def shaped(channel_type: str, text: str, actions: Sequence[dict] = ()) -> BotSays:
    """`text` with `actions` as buttons, or numbered lines on a channel without buttons."""
    if not actions:
        return BotSays(text)
    if capabilities_of(channel_type).buttons >= len(actions):
        return BotSays(text, list(actions))
    choices = "\n".join(f"Reply {number} for: {action['title']}" for number, action in enumerate(actions, 1))
    return BotSays(f"{text}\n\n{choices}", list(actions))


def articles_answer(channel_type: str, hits: Sequence[SearchHit]) -> BotSays:
    lines = ["Here is what I found:"]
    for hit in hits:
        lines.append("")
        lines.append(hit.article.title)
        snippet = _snippet(hit, channel_type)
        if snippet:
            lines.append(snippet)
        lines.append(article_url(hit.article))
    lines += ["", "Did that solve it?"]
    return shaped(channel_type, "\n".join(lines), CONFIRM)


def generated_answer(channel_type: str, text: str) -> BotSays:
    return shaped(channel_type, f"{text}\n\nDid that solve it?", CONFIRM)


def choose_first(channel_type: str) -> BotSays:
    return shaped(channel_type, "Hi! I can look for an answer right away, or get you a person.", CHOOSE)


def ask_question() -> BotSays:
    return BotSays("Sure: what is your question?")


def glad_it_helped() -> BotSays:
    return BotSays("Glad that helped! Write again any time.")


def handing_off(back_when: str | None) -> BotSays:
    if back_when is None:
        return BotSays(
            "I'm passing you to a person now; they can see everything you wrote. "
            "You will hear from them here."
        )
    return BotSays(
        f"Thanks! A person will pick this up when we're back ({back_when}). "
        "They can see everything you wrote."
    )


def out_of_hours(back_when: str | None) -> BotSays:
    when = f" We're back {back_when}." if back_when is not None else ""
    return BotSays(
        f"Our team is away right now.{when} Leave your email address or phone number and we'll reply "
        "there, or just keep writing here."
    )


def _snippet(hit: SearchHit, channel_type: str) -> str:
    limit = SMS_SNIPPET_CHARS if capabilities_of(channel_type).sms_segments else SNIPPET_CHARS
    if not limit:
        return ""
    text = hit.snippet or plain_text(hit.article.body, limit=limit)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
