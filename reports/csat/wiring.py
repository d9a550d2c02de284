"""Where the survey joins the core, once the app is ready: the resolve subscriber, the reply
catcher, and the jobs module (imported so its job names resolve in web processes too)."""

from conversations import events, registry

from . import tasks  # noqa: F401  the jobs queueing asks for by name (conversations.jobs)
from .answers import catch_reply
from .queueing import surveys_queue


def connect() -> None:
    # Durable: a survey is queued in the transaction of the resolve it follows.
    events.subscribe_durably(surveys_queue)
    # Asked before a customer's message reopens a resolved conversation.
    registry.register_reply_catcher(catch_reply)
