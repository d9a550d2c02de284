import pytest

from answerbot.models import AnswerBot
from conversations import registry
from knowledge.indexing import index_article
from knowledge.models import Article, ArticleQuestion, Portal


def publish(portal: Portal, title: str, *, body: str = "", questions: tuple[str, ...] = ()) -> Article:
    article = Article.objects.create(
        portal=portal,
        locale=portal.default_locale,
        slug=title.lower().replace(" ", "-")[:100],
        title=title,
        body=body or f"How to: {title}.",
        status=Article.Status.PUBLISHED,
    )
    ArticleQuestion.objects.bulk_create(ArticleQuestion(article=article, text=text) for text in questions)
    index_article(article)
    return article


@pytest.fixture
def help_center(db, inbox, sms_inbox):
    portal = Portal.objects.create(name="Acme help", slug="acme")
    portal.inboxes.add(inbox, sms_inbox)
    publish(
        portal,
        "Reset your password",
        body="Open Settings, choose Security, then **Reset password**. We email you a link.",
        questions=("I forgot my password", "how do I change my password", "cannot log in, password wrong"),
    )
    publish(
        portal,
        "Track your order",
        body="Every order has a tracking link in its confirmation email.",
        questions=("where is my parcel", "my order has not arrived", "tracking number for my package"),
    )
    return portal


@pytest.fixture
def bot(help_center, inbox):
    return AnswerBot.objects.create(inbox=inbox, enabled=True, portal=help_center)


@pytest.fixture
def sms_bot(help_center, sms_inbox):
    return AnswerBot.objects.create(inbox=sms_inbox, enabled=True, portal=help_center)


@pytest.fixture
def bot_turns(monkeypatch):
    """The bot's turns the core asked for, by conversation id (no worker runs here: the tests take
    each turn themselves, as the worker's task would)."""
    asked: list[int] = []
    monkeypatch.setattr(registry, "_answer_bot_turn", asked.append)
    return asked
