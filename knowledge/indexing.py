"""Keeping an article findable: its vectors and its full-text document.

`index_article(article)` is called by the knowledge services inside the transaction that changed
the article or its questions (created, edited, questions added, edited or removed, published,
archived). It embeds the article (title, description, start of the body) and each question,
stores the vectors with the model's name, rebuilds the Postgres tsvector (title A, questions B,
description C, body D, in the locale's configuration), and touches `updated_at`: that moves the
shelf's stamp, so every process's vector index rebuilds on its next search (knowledge/search/
vectors.py). Nothing to announce and nothing to lose: the stamp is read from the database.
"""

from django.db import connection
from django.utils import timezone

from knowledge.models import Article, ArticleQuestion
from knowledge.search import embedding, text, vectors

SEARCH_DOCUMENT = """
UPDATE knowledge_article AS a SET search_vector =
    setweight(to_tsvector(%(config)s::regconfig, a.title), 'A')
    || setweight(to_tsvector(%(config)s::regconfig, coalesce((
        SELECT string_agg(q.text, E'\\n' ORDER BY q.id)
        FROM knowledge_articlequestion q WHERE q.article_id = a.id
    ), '')), 'B')
    || setweight(to_tsvector(%(config)s::regconfig, a.description), 'C')
    || setweight(to_tsvector(%(config)s::regconfig, a.body), 'D')
WHERE a.id = %(article)s
"""


def index_article(article: Article) -> None:
    """Store the article's and its questions' vectors and its search document (see the module).
    The caller holds the transaction; `article` is saved already, with its current questions."""
    questions = list(ArticleQuestion.objects.filter(article=article).order_by("pk"))
    article_vector, *question_vectors = embedding.embed(
        [vectors.article_text(article.title, article.description, article.body)]
        + [question.text for question in questions]
    )
    now = timezone.now()
    article.embedding = embedding.to_bytes(article_vector)
    article.embedding_model = embedding.MODEL_NAME
    article.updated_at = now
    Article.objects.filter(pk=article.pk).update(
        embedding=article.embedding, embedding_model=article.embedding_model, updated_at=now
    )
    for question, vector in zip(questions, question_vectors, strict=True):
        question.embedding = embedding.to_bytes(vector)
        question.embedding_model = embedding.MODEL_NAME
    if questions:
        ArticleQuestion.objects.bulk_update(questions, ["embedding", "embedding_model"])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                SEARCH_DOCUMENT, {"config": text.config_for(article.locale), "article": article.pk}
            )
