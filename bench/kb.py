"""Knowledge-base search benchmark: banking77 as help centers (bench/kb_data.py), asked through
knowledge.search on the throwaway Postgres database.

1. Quality: for N = 5 and N = 20 questions per article, DRAWS random draws each (a help center of
   77 articles per draw), every test.csv question asked three ways: the shipped fusion
   (`search_articles`), the vectors alone and Postgres alone (full text and trigrams), through
   the same engine with other weights. hit@1, hit@3, MRR (over the top 10), no-result share;
   means over the draws, each draw kept.
2. Abstention: the shipped confidence threshold is chosen here on validation questions (carved
   out of train.csv) and half of our out-of-scope questions: the lowest score at which, for each
   N, answered validation questions are right first >= 80% of the time and >= 90% of out-of-scope
   ones are handed off (the 85% target plus a margin for measuring it on 83 questions). Reported
   at the threshold the code ships: answered share, precision, out-of-scope handed off (the
   held-out half and all).
3. Speed: a help center of 5,005 articles (each intent 65 times, distinct titles, its own draw of
   5 questions); retrieval p50/p95 through search_articles, Postgres included; the index build,
   the rebuild after an edit, statements per search, and model load in a fresh process.
4. The bot's first answer, end to end through Daphne and a Celery worker (bench/kb_bot.py).

`--smoke`: one draw of N = 5, 100 test questions, a 231-article help center, 30 timed searches.
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import kb_bot, kb_data
from bench.measure import quantiles
from bench.scale import SMOKE, scaled
from knowledge.indexing import index_article
from knowledge.models import Article, ArticleQuestion, Portal
from knowledge.search import answer_threshold, engine, ranking

QUESTIONS_PER_ARTICLE = scaled((5, 20), (5,))
DRAWS = scaled(3, 1)
TEST_SAMPLE = scaled(None, 100)
VALIDATION_SAMPLE = scaled(None, 100)
SCALE_COPIES = scaled(65, 3)  # x 77 intents
TIMED_SEARCHES = scaled(1000, 30)
DEPTH = 10  # ranks looked at for MRR
MODES = {"fused": ranking.SHIPPED, "semantic": ranking.SEMANTIC_ONLY, "lexical": ranking.LEXICAL_ONLY}
PRECISION_TARGET, HANDOFF_TARGET = 0.80, 0.85
# The threshold is chosen on 83 out-of-scope questions: a share measured on so few is +-0.04
# (one standard error), so the choice asks for this much more than the target.
SAMPLING_MARGIN = 0.05
ROOT = Path(__file__).resolve().parent.parent


def log(*parts: object) -> None:
    print("[kb]", *parts, file=sys.stderr, flush=True)


def _ask(portal: Portal, intents: dict[int, str], asked, weights, problems: list[str]) -> list[tuple]:
    """(rank of the right article or None, top score, ids) for each (question, intent)."""
    answers = []
    for question, intent in asked:
        try:
            hits = engine.search(portal=portal, query=question, limit=DEPTH, weights=weights)
        except Exception as error:  # counted: a search must never raise
            problems.append(f"{question!r}: {error!r}")
            answers.append((None, None, []))
            continue
        ids = [hit.article.pk for hit in hits]
        rank = next((r for r, pk in enumerate(ids) if intents.get(pk) == intent), None)
        answers.append((rank, hits[0].score if hits else None, ids))
    return answers


def _quality(answers: list[tuple]) -> dict:
    ranks = [rank for rank, _, _ in answers]
    return {
        "hit@1": round(np.mean([r == 0 for r in ranks]), 4),
        "hit@3": round(np.mean([r is not None and r < 3 for r in ranks]), 4),
        "mrr": round(np.mean([1 / (r + 1) if r is not None else 0 for r in ranks]), 4),
        "no_result_share": round(np.mean([not ids for _, _, ids in answers]), 4),
    }


def _mean(draws: list[dict]) -> dict:
    return {key: round(float(np.mean([d[key] for d in draws])), 4) for key in draws[0]} | {"draws": draws}


def _abstention(inside: list[tuple], outside: list[tuple], threshold: float) -> dict:
    answered = [(rank, score) for rank, score, _ in inside if score is not None and score >= threshold]
    handed_off = [score is None or score < threshold for _, score, _ in outside]
    return {
        "answered_in_scope": round(len(answered) / len(inside), 4),
        "precision_first": round(np.mean([rank == 0 for rank, _ in answered]), 4) if answered else None,
        "precision_top3": round(np.mean([rank is not None and rank < 3 for rank, _ in answered]), 4)
        if answered
        else None,
        "out_of_scope_handed_off": round(float(np.mean(handed_off)), 4),
    }


def _lowest_threshold(inside: list[tuple], outside: list[tuple]) -> float | None:
    """The lowest score meeting both abstention targets on these (tuning) questions."""
    right = np.array([rank == 0 for rank, score, _ in inside if score is not None])
    scores = np.array([score for _, score, _ in inside if score is not None])
    outside_scores = np.array([score if score is not None else -np.inf for _, score, _ in outside])
    order = np.argsort(scores)
    scores, right = scores[order], right[order]
    answered_right = np.cumsum(right[::-1])[::-1]  # right answers among scores[i:]
    for i, threshold in enumerate(scores):
        precision = answered_right[i] / (len(scores) - i)
        handed_off = np.mean(outside_scores < threshold)
        if precision >= PRECISION_TARGET and handed_off >= HANDOFF_TARGET + SAMPLING_MARGIN:
            return round(float(threshold), 4)
    return None


def _leak_guard(portal: Portal, pool: dict[str, list[str]]) -> set[int]:
    """A draft and an archived copy of one intent's article, with its questions: never shown."""
    intent = sorted(pool)[0]
    guards = set()
    for status in (Article.Status.DRAFT, Article.Status.ARCHIVED):
        article = Article.objects.create(
            portal=portal, locale="en", slug=f"guard-{status}", title=kb_data.title_of(intent), status=status
        )
        ArticleQuestion.objects.bulk_create(
            [ArticleQuestion(article=article, text=q) for q in pool[intent][:20]]
        )
        index_article(article)
        guards.add(article.pk)
    return guards


def _quality_and_abstention(pool, validation, tests, outside, problems) -> dict:
    tuning_outside, held_out = [(q, None) for q in outside[0::2]], [(q, None) for q in outside[1::2]]
    figures, runs, guard_hits = {}, {}, 0
    for n in QUESTIONS_PER_ARTICLE:
        draws = {mode: [] for mode in MODES}
        runs[n] = {"validation": [], "tuning_oos": [], "test": [], "held_out_oos": []}
        for draw in range(DRAWS):
            started = time.perf_counter()
            portal, intents = kb_data.help_center(f"kb-{n}-{draw}", pool, questions=n, seed=1000 * n + draw)
            guards = _leak_guard(portal, pool)
            for mode, weights in MODES.items():
                answers = _ask(portal, intents, tests, weights, problems)
                guard_hits += sum(pk in guards for _, _, ids in answers for pk in ids)
                draws[mode].append(_quality(answers))
                if mode == "fused":
                    runs[n]["test"] += answers
            for name, asked in (
                ("validation", validation),
                ("tuning_oos", tuning_outside),
                ("held_out_oos", held_out),
            ):
                runs[n][name] += _ask(portal, intents, asked, ranking.SHIPPED, problems)
            log(f"N={n} draw {draw}: {draws['fused'][-1]} in {time.perf_counter() - started:.0f} s")
        figures[str(n)] = {mode: _mean(found) for mode, found in draws.items()}
    measured = [_lowest_threshold(runs[n]["validation"], runs[n]["tuning_oos"]) for n in runs]
    threshold = answer_threshold()
    abstention = {
        "threshold_shipped": threshold,
        "threshold_measured_on_validation": max(measured) if None not in measured else None,
        **{
            str(n): {
                **_abstention(run["test"], run["held_out_oos"], threshold),
                "out_of_scope_handed_off_all": _abstention(
                    run["test"], run["held_out_oos"] + run["tuning_oos"], threshold
                )["out_of_scope_handed_off"],
                "validation": _abstention(run["validation"], run["tuning_oos"], threshold),
            }
            for n, run in runs.items()
        },
    }
    return {"quality": figures, "abstention": abstention, "guard_hits": guard_hits}


def _speed(pool: dict[str, list[str]], tests: list[tuple[str, str]]) -> dict:
    started = time.perf_counter()
    portal, _ = kb_data.help_center("kb-scale", pool, questions=5, seed=5, copies=SCALE_COPIES)
    seeded = time.perf_counter() - started
    with connection.cursor() as cursor:  # what autovacuum does to a table in service
        cursor.execute("VACUUM ANALYZE knowledge_article")
        cursor.execute("VACUUM ANALYZE knowledge_articlequestion")
    first = time.perf_counter()
    engine.search_articles(portal=portal, query="warm up: load the shelf")
    build_ms = (time.perf_counter() - first) * 1000
    timings, statements, alone = [], set(), []
    for question, _ in tests[:TIMED_SEARCHES]:
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            engine.search_articles(portal=portal, query=question)
            timings.append((time.perf_counter() - began) * 1000)
        statements.add(len(queries.captured_queries))
        began = time.perf_counter()
        engine.search(portal=portal, query=question, weights=ranking.LEXICAL_ONLY)
        alone.append((time.perf_counter() - began) * 1000)
    edited = Article.objects.filter(portal=portal).order_by("pk").first()
    ArticleQuestion.objects.create(article=edited, text="Where do I see my card's delivery status?")
    index_article(edited)
    began = time.perf_counter()
    engine.search_articles(portal=portal, query="delivery status of my card")
    rebuild_ms = (time.perf_counter() - began) * 1000
    return {
        "articles": Article.objects.filter(portal=portal).count(),
        "questions": ArticleQuestion.objects.filter(article__portal=portal).count(),
        "seed_seconds": round(seeded, 1),
        "retrieval": quantiles(timings),
        "postgres_alone_retrieval": quantiles(alone),
        "first_search_builds_index_ms": round(build_ms, 1),
        "search_after_an_edit_rebuilds_ms": round(rebuild_ms, 1),
        "statements_per_search": sorted(statements),
    }


def _model_load_seconds() -> float:
    """The model's load in a fresh process (median of three)."""
    program = (
        "import django; django.setup()\n"
        "from knowledge.search import embedding\n"
        "embedding.model(); print(embedding.load_seconds)\n"
    )
    seconds = [
        float(
            subprocess.check_output(  # noqa: S603 (our own interpreter and program)
                [sys.executable, "-c", program], cwd=ROOT, env=os.environ.copy(), text=True
            )
        )
        for _ in range(3)
    ]
    return round(sorted(seconds)[1], 3)


def run() -> dict:
    pool, validation = kb_data.train_split()
    tests, outside = kb_data.test_questions(), kb_data.out_of_scope()
    if SMOKE:
        tests, validation, outside = (
            tests[::20][:TEST_SAMPLE],
            validation[::10][:VALIDATION_SAMPLE],
            outside[:40],
        )
    problems: list[str] = []
    started = time.perf_counter()
    measured = _quality_and_abstention(pool, validation, tests, outside, problems)
    speed = _speed(pool, tests)
    load = _model_load_seconds()
    with tempfile.TemporaryDirectory(prefix="parley-bench-kb-") as workdir:
        bot = kb_bot.bot_first_answer(pool, tests, Path(workdir))
    fused_hit3 = [measured["quality"][n]["fused"]["hit@3"] for n in measured["quality"]]
    return {
        "setup": {
            "intents": len(pool),
            "questions_per_article": list(QUESTIONS_PER_ARTICLE),
            "draws": DRAWS,
            "test_questions": len(tests),
            "validation_questions": len(validation),
            "out_of_scope_questions": len(outside),
            "weights": ranking.SHIPPED.__dict__,
        },
        **{key: value for key, value in measured.items() if key != "guard_hits"},
        "speed": speed | {"model_load_seconds": load},
        "bot": bot,
        "raised": problems[:5],
        "checks": {
            "no_search_raised": not problems,
            "drafts_and_archived_never_shown": measured["guard_hits"] == 0,
            "fused_search_always_answers": all(
                measured["quality"][n]["fused"]["no_result_share"] == 0 for n in measured["quality"]
            ),
            "fused_finds_most": all(hit3 > 0.5 for hit3 in fused_hit3),
            "at_most_three_statements_per_search": max(speed["statements_per_search"]) <= 3,
            "the_bot_answered_every_question": all(
                part["answered"] == part["asked"] for name, part in bot.items() if name != "questions"
            ),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
