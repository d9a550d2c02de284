"""Factories for the knowledge base: a portal, its categories, articles and their questions.
They write rows only; search needs `knowledge.indexing.index_article(article)` after them (the
services call it), which `indexed_article` does."""

import factory

from knowledge.indexing import index_article
from knowledge.models import Article, ArticleQuestion, Category, Portal


class PortalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portal

    name = factory.Sequence(lambda n: f"Help center {n}")
    slug = factory.Sequence(lambda n: f"help-{n}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    portal = factory.SubFactory(PortalFactory)
    locale = factory.LazyAttribute(lambda category: category.portal.default_locale)
    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    portal = factory.SubFactory(PortalFactory)
    category = factory.SubFactory(
        CategoryFactory, portal=factory.SelfAttribute("..portal"), locale=factory.SelfAttribute("..locale")
    )
    locale = factory.LazyAttribute(lambda article: article.portal.default_locale)
    slug = factory.Sequence(lambda n: f"article-{n}")
    title = factory.Sequence(lambda n: f"Article {n}")
    description = ""
    body = ""
    status = Article.Status.PUBLISHED


class ArticleQuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ArticleQuestion

    article = factory.SubFactory(ArticleFactory)
    text = factory.Sequence(lambda n: f"Question {n}?")


def indexed_article(*, questions: tuple[str, ...] = (), **fields) -> Article:
    """An article with these questions, indexed for search as the services would."""
    article = ArticleFactory(**fields)
    for question in questions:
        ArticleQuestionFactory(article=article, text=question)
    index_article(article)
    return article
