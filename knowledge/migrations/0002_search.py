"""Postgres full-text search for the knowledge base: accent folding (unaccent), typo tolerance
(pg_trgm), one text search configuration per language Parley stems (others use parley_simple),
the articles' stored tsvector with its GIN index, trigram indexes on titles and questions, and the
index every search reads its shelf's stamp from.

knowledge/indexing.py keeps `search_vector` current (an article's questions live in another table,
so a generated column cannot hold them). SQLite (the embedded `make run`) skips all of it: there,
knowledge/search/text.py scores articles in Python.
"""

from django.db import migrations

# (configuration, snowball stemmer); the list in knowledge/search/text.py names the same set.
STEMMED = [
    ("parley_en", "english_stem"),
    ("parley_fr", "french_stem"),
    ("parley_de", "german_stem"),
    ("parley_es", "spanish_stem"),
    ("parley_pt", "portuguese_stem"),
    ("parley_it", "italian_stem"),
    ("parley_nl", "dutch_stem"),
]
WORD_TOKENS = "hword, hword_part, word"  # the token types that may carry accents

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # unaccent() is only STABLE (its dictionary could change); an index needs an IMMUTABLE function.
    """CREATE OR REPLACE FUNCTION parley_fold(text) RETURNS text
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$""",
    "CREATE TEXT SEARCH CONFIGURATION parley_simple (COPY = simple)",
    f"ALTER TEXT SEARCH CONFIGURATION parley_simple ALTER MAPPING FOR {WORD_TOKENS} WITH unaccent, simple",
    *(
        statement
        for name, stemmer in STEMMED
        for statement in (
            f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {stemmer.removesuffix('_stem')})",
            f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR {WORD_TOKENS} WITH unaccent, {stemmer}",
        )
    ),
    "ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector",
    "CREATE INDEX knowledge_article_search_vector ON knowledge_article USING gin (search_vector)",
    # Every search reads its shelf's stamp (count, latest updated_at) from this index alone.
    "CREATE INDEX knowledge_article_shelf_changed ON knowledge_article (portal_id, locale, updated_at)",
    "CREATE INDEX knowledge_article_title_trgm ON knowledge_article USING gin (parley_fold(title) gin_trgm_ops)",
    "CREATE INDEX knowledge_question_text_trgm ON knowledge_articlequestion "
    "USING gin (parley_fold(text) gin_trgm_ops)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS knowledge_question_text_trgm",
    "DROP INDEX IF EXISTS knowledge_article_title_trgm",
    "DROP INDEX IF EXISTS knowledge_article_shelf_changed",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search_vector",
    *(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}" for name, _ in STEMMED),
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS parley_simple",
    "DROP FUNCTION IF EXISTS parley_fold(text)",
    # The extensions stay: other schemas may use them.
]


def _run(statements: list[str]):
    def operation(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return operation


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
