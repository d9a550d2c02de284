"""The demo help center `make run` starts with: a portal linked to every demo inbox, a few
articles in two categories (one translated into French), and the answer bot turned on in the
demo's "Help chat" inbox, its SMS line (numbered choices) and its Telegram bot (buttons), so a
newcomer sees self-service answer first.

Safe to run on every start: a second run finds the portal and changes nothing.
"""

from dataclasses import dataclass

from django.db import transaction

from conversations.models import Inbox
from knowledge.models import Portal
from knowledge.services import article_create, category_create, portal_create

from .models import AnswerBot

PORTAL_SLUG = "parley-demo"
BOT_INBOXES = ("Help chat (answer bot)", "SMS +1 415 555 0100", "Telegram @parley_support_bot")


@dataclass(frozen=True)
class DemoArticle:
    category: str
    title: str
    description: str
    body: str
    questions: tuple[str, ...]


ACCOUNT, ORDERS = "Your account", "Orders and delivery"
DEMO_ARTICLES = (
    DemoArticle(
        ACCOUNT,
        "Reset your password",
        "Get back into your account with a reset link by email.",
        "1. Open **Sign in** and choose *Forgot password*.\n2. Enter the email address of your "
        "account.\n3. Follow the link we email you within a minute; it works for 30 minutes.\n\n"
        "No email? Check your spam folder, then ask us for a person.",
        ("I forgot my password", "how do I change my password", "I can't log in", "reset link not working"),
    ),
    DemoArticle(
        ACCOUNT,
        "Change the email address of your account",
        "Move your account to a new email address.",
        "Go to **Settings → Profile**, type the new address and confirm it from the email we send "
        "there. Until you confirm, we keep writing to the old address.",
        ("update my email", "change my login email", "I have a new email address"),
    ),
    DemoArticle(
        ACCOUNT,
        "Close your account",
        "Delete your account and your data for good.",
        "In **Settings → Privacy**, choose *Close account*. We delete your data within 30 days, as "
        "the GDPR asks; invoices we must keep for 10 years stay in our accounting only.",
        ("delete my account", "how do I cancel my account", "remove all my data"),
    ),
    DemoArticle(
        ORDERS,
        "Track your order",
        "Where your parcel is, from the tracking link in your confirmation email.",
        "Every order has a tracking link in its confirmation email and under **Orders** in your "
        "account. Tracking starts the day after we ship.",
        (
            "where is my parcel",
            "my order has not arrived",
            "tracking number for my package",
            "when will it arrive",
        ),
    ),
    DemoArticle(
        ORDERS,
        "Return an item",
        "Send an item back within 30 days for a refund.",
        "Open **Orders**, choose the item and *Return*. Print the prepaid label and drop the parcel "
        "at any post office. We refund within 5 working days of receiving it.",
        ("how do I return something", "I want a refund", "send back an item", "return label"),
    ),
    DemoArticle(
        ORDERS,
        "Delivery times and costs",
        "How long delivery takes, and what it costs, by country.",
        "| Where | Time | Cost |\n| --- | --- | --- |\n| France | 2-3 days | free over €30 |\n"
        "| EU | 3-5 days | €6.90 |\n| Rest of the world | 5-10 days | €14.90 |",
        ("how long does shipping take", "delivery cost", "do you ship abroad", "shipping fees"),
    ),
)
FRENCH = DemoArticle(
    "Votre compte",
    "Réinitialiser votre mot de passe",
    "Retrouvez l'accès à votre compte avec un lien envoyé par e-mail.",
    "1. Ouvrez **Connexion** et choisissez *Mot de passe oublié*.\n2. Saisissez l'adresse e-mail "
    "de votre compte.\n3. Suivez le lien reçu par e-mail ; il est valable 30 minutes.",
    ("j'ai oublié mon mot de passe", "je ne peux pas me connecter"),
)


def seed_self_service() -> bool:
    """Create the demo help center and bots; False when they were already there."""
    if Portal.objects.filter(slug=PORTAL_SLUG).exists():
        return False
    with transaction.atomic():
        portal = portal_create(
            name="Parley Demo Help",
            slug=PORTAL_SLUG,
            tagline="Answers to the questions our customers ask most.",
            color="#4f46e5",
            default_locale="en",
            locales=["fr"],
            inboxes=Inbox.objects.all(),
        )
        categories = {
            name: category_create(portal=portal, name=name, position=position)
            for position, name in enumerate((ACCOUNT, ORDERS))
        }
        originals = [
            _publish(portal, article, categories[article.category], position)
            for position, article in enumerate(DEMO_ARTICLES)
        ]
        french = category_create(portal=portal, name=FRENCH.category, locale="fr")
        _publish(portal, FRENCH, french, 0, locale="fr", translation_of=originals[0])
        for inbox in Inbox.objects.filter(name__in=BOT_INBOXES):
            AnswerBot.objects.update_or_create(inbox=inbox, defaults={"enabled": True, "portal": portal})
    return True


def _publish(portal: Portal, article: DemoArticle, category, position: int, **more):
    return article_create(
        portal=portal,
        title=article.title,
        description=article.description,
        body=article.body,
        questions=article.questions,
        category=category,
        author=None,
        status="published",
        position=position,
        **more,
    )
