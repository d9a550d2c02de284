"""Knowledge-base search on real Postgres: what it finds, what it never shows, what it refuses,
and that it sees an edit at once."""

import pytest
from django.db import connection

from knowledge.indexing import index_article
from knowledge.models import Article
from knowledge.search import (
    MAX_QUERY_LENGTH,
    QueryRefused,
    answer_threshold,
    engine,
    ranking,
    search_articles,
)
from knowledge.search.lexicon import Lexicon
from knowledge.search.text import terms
from tests.knowledge.factories import ArticleQuestionFactory, PortalFactory, indexed_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal():
    return PortalFactory(default_locale="en", locales=["fr"])


@pytest.fixture
def card_article(portal):
    return indexed_article(
        portal=portal,
        title="Your new card has not arrived",
        description="What to do when a card you ordered is late.",
        questions=("I am still waiting on my card?", "Can I track the delivery of my card?"),
    )


@pytest.fixture
def shelf(portal, card_article):
    """A few neighbours, so ranking has something to rank against."""
    indexed_article(portal=portal, title="Change your PIN", questions=("How do I change my PIN?",))
    indexed_article(
        portal=portal, title="Top up with a bank transfer", questions=("Can I add money by bank transfer?",)
    )
    indexed_article(portal=portal, title="Reset your password", questions=("I forgot my password",))
    return portal


def titles(hits) -> list[str]:
    return [hit.article.title for hit in hits]


def test_an_article_is_found_by_the_wording_of_its_questions(shelf, card_article):
    hits = search_articles(portal=shelf, query="it's been two weeks and my card still hasn't come")

    assert hits[0].article == card_article
    assert hits[0].matched_question in {question.text for question in card_article.questions.all()}
    assert hits[0].snippet == "What to do when a card you ordered is late."
    assert hits[0].score >= hits[-1].score


def test_accents_fold_both_ways(portal):
    cafe = indexed_article(portal=portal, title="Café rewards", body="Earn points at every café.")
    indexed_article(portal=portal, title="Cashback on groceries")

    for query in ("cafe", "CAFÉ"):
        hits = engine.search(portal=portal, query=query, weights=ranking.LEXICAL_ONLY)
        assert titles(hits) == [cafe.title], query


def test_a_typo_is_forgiven_by_trigrams(shelf):
    hits = engine.search(portal=shelf, query="pasword", weights=ranking.LEXICAL_ONLY)

    assert titles(hits)[:1] == ["Reset your password"]


def test_postgres_alone_ranks_first_the_article_whose_question_reads_like_the_query(portal):
    """Stemming keeps "verification" and "verify" apart, so on words alone the article with
    "identity" in its title wins; the query's resemblance to a listed question puts it right."""
    asked = indexed_article(
        portal=portal, title="Prove who you are", questions=("How do I verify my identity?",)
    )
    indexed_article(portal=portal, title="Identity documents we accept", body="Passports and identity cards.")

    hits = engine.search(portal=portal, query="verification of my identity", weights=ranking.LEXICAL_ONLY)

    assert hits[0].article == asked
    assert len(hits) == 2  # both share a word; nothing that shares none is listed


def test_words_are_or_ed_and_ranked_not_and_ed(shelf):
    hits = engine.search(portal=shelf, query="pin card hamster", weights=ranking.LEXICAL_ONLY)

    assert set(titles(hits)) == {"Change your PIN", "Your new card has not arrived"}


def test_drafts_archived_other_portals_and_locales_never_leak(portal):
    wording = ("How do I freeze my card?",)
    published = indexed_article(portal=portal, title="Freeze your card", questions=wording)
    draft = indexed_article(
        portal=portal, title="Freeze your card (draft)", questions=wording, status="draft"
    )
    indexed_article(portal=portal, title="Freeze your card (old)", questions=wording, status="archived")
    indexed_article(portal=PortalFactory(), title="Freeze your card elsewhere", questions=wording)
    french = indexed_article(portal=portal, locale="fr", title="Geler votre carte", questions=wording)

    found = search_articles(portal=portal, query="freeze my card", limit=50)
    with_drafts = search_articles(portal=portal, query="freeze my card", limit=50, include_drafts=True)
    in_french = search_articles(portal=portal, query="freeze my card", locale="fr", limit=50)

    assert [hit.article for hit in found] == [published]
    assert {hit.article for hit in with_drafts} == {published, draft}
    assert [hit.article for hit in in_french] == [french]


@pytest.mark.parametrize(
    ("query", "code"),
    [("", "query_empty"), ("   \n\t ", "query_empty"), ("x" * 10_000, "query_too_long")],
)
def test_a_query_that_cannot_be_searched_is_refused_with_a_code(portal, query, code):
    with pytest.raises(QueryRefused) as refusal:
        search_articles(portal=portal, query=query)

    assert refusal.value.code == code
    assert refusal.value.detail


def test_the_longest_query_allowed_is_searched(shelf):
    assert search_articles(portal=shelf, query="card " * (MAX_QUERY_LENGTH // 5))


def test_a_locale_the_portal_does_not_offer_is_refused(portal):
    with pytest.raises(QueryRefused) as refusal:
        search_articles(portal=portal, query="card", locale="de")

    assert refusal.value.code == "unknown_locale"
    assert "en, fr" in refusal.value.detail


@pytest.mark.parametrize(
    "query",
    [
        "'); drop table x; -- & | !",
        "card & | ! <-> :* ( ) ' \\ \"",
        "🙂💳 where is my card 🙂",
        "card\x00pin",
        "%s %(portal)s {0} $1",
        "ж" * 200,
    ],
)
def test_any_text_is_searched_without_error(shelf, query):
    hits = search_articles(portal=shelf, query=query)

    assert all(hit.article.portal_id == shelf.pk for hit in hits)
    assert Article.objects.filter(portal=shelf).count() == 4  # nothing dropped


def test_an_edited_question_is_found_by_its_new_wording_at_once(shelf, card_article):
    question = card_article.questions.first()
    search_articles(portal=shelf, query="courier left a parcel at the neighbour")  # the index is built

    question.text = "The courier left my parcel with a neighbour"
    question.save()
    index_article(card_article)
    hits = search_articles(portal=shelf, query="courier left a parcel at the neighbour")

    assert hits[0].article == card_article
    assert hits[0].matched_question == "The courier left my parcel with a neighbour"


def test_a_new_article_is_found_at_once(shelf):
    search_articles(portal=shelf, query="anything")
    added = indexed_article(portal=shelf, title="Close your account", questions=("I want to leave the bank",))

    assert search_articles(portal=shelf, query="how do I close my account")[0].article == added


def test_one_search_is_two_statements_and_a_third_when_trigrams_help(shelf, django_assert_num_queries):
    search_articles(portal=shelf, query="my card")  # builds the index: two statements more

    with django_assert_num_queries(2):  # full text (with the index's stamp), then the hits
        hits = search_articles(portal=shelf, query="my card, my PIN, my password, a bank transfer")
        assert hits[0].article.category.name  # the category came with it
    with django_assert_num_queries(3):  # full text found fewer than three: trigrams too
        search_articles(portal=shelf, query="pasword")


def test_the_snippet_is_plain_text_from_the_body_when_there_is_no_description(portal):
    body = "# Heading\n\nUse **the app** and <b>tap</b> [Cards](https://example.com). " + "More words. " * 40
    indexed_article(portal=portal, title="Cards in the app", body=body)

    snippet = search_articles(portal=portal, query="cards app")[0].snippet

    assert snippet.startswith("Heading Use the app and tap Cards.")
    assert "<" not in snippet and "*" not in snippet and "https" not in snippet
    assert len(snippet) <= 200 and snippet.endswith("…")


def test_an_article_without_questions_is_found_by_its_own_text(portal):
    refunds = indexed_article(portal=portal, title="Refunds", body="A merchant's refund takes five days.")
    indexed_article(portal=portal, title="Exchange rates", body="We use the interbank rate.")

    assert search_articles(portal=portal, query="when will the shop's refund arrive")[0].article == refunds


def test_the_threshold_is_the_measured_one_unless_configured(settings):
    settings.PARLEY_BOT_THRESHOLD = None
    assert answer_threshold() == engine.DEFAULT_THRESHOLD

    settings.PARLEY_BOT_THRESHOLD = 0.5
    assert answer_threshold() == 0.5


def test_a_question_added_without_indexing_is_still_searchable_after_it(card_article, portal):
    ArticleQuestionFactory(article=card_article, text="My parcel is lost")
    index_article(card_article)

    assert search_articles(portal=portal, query="lost parcel")[0].article == card_article


def test_the_embedded_lexicon_weights_rare_words_and_titles():
    lexicon = Lexicon(3)
    lexicon.add_fields(0, ("Card delivery", "where is my card", "", ""))
    lexicon.add_fields(1, ("Change PIN", "how do I change my card PIN", "", ""))
    lexicon.add_fields(2, ("Café rewards", "", "", "cards at the café"))
    lexicon.freeze()

    assert lexicon.scores(terms("delivery of cards")).argmax() == 0
    assert list(lexicon.scores(terms("cafe")).nonzero()[0]) == [2]
    assert not lexicon.scores(terms("hamster")).any()


def test_the_lexicon_reads_postgres_tsvectors_as_ts_rank_does(portal):
    article = indexed_article(portal=portal, title="Card delivery", questions=("Where is my card?",))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text, ts_rank('{0.1, 0.2, 0.4, 1.0}', search_vector, 'card'::tsquery, 1) "
            "FROM knowledge_article WHERE id = %s",
            [article.pk],
        )
        document, rank = cursor.fetchone()
    lexicon = Lexicon(1)
    lexicon.add_tsvector(0, document)
    lexicon.freeze()

    rows, ranks = lexicon.postings["card"]
    assert rows.tolist() == [0]
    assert ranks[0] == pytest.approx(rank, rel=1e-5)
