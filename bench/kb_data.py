"""The knowledge-base benchmark's data: banking77 (bench/data/banking77, CC BY 4.0) as help
centers, and our own out-of-scope questions (bench/data/out_of_scope).

One article per intent: its title from the intent's name, its questions N drawn at random from
train.csv. train.csv is first split, per intent and with a fixed seed, into a pool the articles
draw from and a validation set the fusion weights and the threshold were chosen on
(bench/kb_tune.py); test.csv is only ever asked, never put in an article nor tuned on.
Articles are written through the ORM and indexed by knowledge.indexing.index_article, as the
knowledge services do.
"""

import csv
import random
from collections import defaultdict
from pathlib import Path

from knowledge.indexing import index_article
from knowledge.models import Article, ArticleQuestion, Category, Portal

DATA = Path(__file__).resolve().parent / "data"
VALIDATION_SHARE = 0.2
SPLIT_SEED = 77

Asked = list[tuple[str, str]]  # (question, intent)


def _rows(name: str) -> Asked:
    with (DATA / "banking77" / name).open(newline="") as file:
        return [(row["text"], row["category"]) for row in csv.DictReader(file)]


def test_questions() -> Asked:
    return _rows("test.csv")


def train_split() -> tuple[dict[str, list[str]], Asked]:
    """(pool: intent -> questions articles may use, validation: questions to tune on)."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in _rows("train.csv"):
        by_intent[intent].append(text)
    shuffler = random.Random(SPLIT_SEED)
    pool, validation = {}, []
    for intent in sorted(by_intent):
        texts = sorted(by_intent[intent])
        shuffler.shuffle(texts)
        cut = round(len(texts) * VALIDATION_SHARE)
        validation += [(text, intent) for text in texts[:cut]]
        pool[intent] = texts[cut:]
    return pool, validation


def out_of_scope() -> list[str]:
    lines = (DATA / "out_of_scope" / "questions.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip()]


def title_of(intent: str) -> str:
    """card_payment_wrong_exchange_rate -> "Card payment wrong exchange rate"."""
    words = intent.replace("_", " ").replace("?", "").strip().lower()
    return words[:1].upper() + words[1:]


def help_center(
    slug: str, pool: dict[str, list[str]], *, questions: int, seed: int, copies: int = 1
) -> tuple[Portal, dict[int, str]]:
    """A portal with `copies` articles per intent, each with `questions` questions drawn from the
    pool (each copy draws its own); returns it and article id -> intent."""
    portal = Portal.objects.create(name=f"Bench {slug}", slug=slug)
    category = Category.objects.create(portal=portal, locale="en", slug="banking", name="Banking")
    drawer = random.Random(seed)
    articles, drawn = [], []
    for intent in sorted(pool):
        for copy in range(copies):
            suffix = f" ({VARIANTS[copy % len(VARIANTS)]}, {copy // len(VARIANTS) + 1})" if copies > 1 else ""
            articles.append(
                Article(
                    portal=portal,
                    category=category,
                    locale="en",
                    slug=f"{intent.lower().replace('_', '-').strip('?')}-{copy}",
                    title=title_of(intent) + suffix,
                    status=Article.Status.PUBLISHED,
                )
            )
            drawn.append((intent, drawer.sample(pool[intent], min(questions, len(pool[intent])))))
    Article.objects.bulk_create(articles, batch_size=1000)
    ArticleQuestion.objects.bulk_create(
        [
            ArticleQuestion(article=a, text=q)
            for a, (_, texts) in zip(articles, drawn, strict=True)
            for q in texts
        ],
        batch_size=5000,
    )
    for article in articles:
        index_article(article)
    return portal, {article.pk: intent for article, (intent, _) in zip(articles, drawn, strict=True)}


# Distinct titles for copies of one intent at the 5,000-article scale (products, plans, regions).
VARIANTS = [
    "standard account",
    "premium plan",
    "metal plan",
    "business account",
    "junior account",
    "UK",
    "EEA",
    "Switzerland",
    "United States",
    "Australia",
    "Singapore",
    "Canada",
    "Japan",
]
