"""The knowledge-base benchmark's table (bench/kb.py's report): quality per N beside the vectors
alone and Postgres alone, abstention at the shipped threshold, speed, and the bot's first answer."""

from bench.rows import Row, row


def _kb_quality(report: dict, n: str) -> list[Row]:
    quality = report["quality"].get(n)
    if quality is None:
        return []
    fused, semantic, alone = quality["fused"], quality["semantic"], quality["lexical"]
    hit3_target = {"5": 0.90, "20": 0.95}[n]

    def versus(label: str, key: str, target: str | None = None, met: bool | None = None) -> Row:
        ratio = round(fused[key] / semantic[key], 3) if semantic[key] else None
        return row(label, f"{fused[key]:.4f}", f"{semantic[key]:.4f}", ratio, target, met)

    rows = [
        versus(f"N={n}: hit@1 (vs vectors alone)", "hit@1"),
        versus(
            f"N={n}: hit@3 (vs vectors alone)", "hit@3", f">= {hit3_target}", fused["hit@3"] >= hit3_target
        ),
        versus(f"N={n}: MRR (vs vectors alone)", "mrr"),
        row(
            f"N={n}: Postgres alone, hit@1 / hit@3 / MRR",
            f"{alone['hit@1']} / {alone['hit@3']} / {alone['mrr']}",
            target="hit@3 >= 0.85",
            met=alone["hit@3"] >= 0.85,
        ),
        row(
            f"N={n}: no result at all (fused / Postgres alone)",
            fused["no_result_share"],
            alone["no_result_share"],
            target="<= 0.01",
            met=fused["no_result_share"] <= 0.01,
        ),
    ]
    abstention = report["abstention"].get(n)
    if abstention:
        rows += [
            row(f"N={n}: in-scope answered at the threshold", abstention["answered_in_scope"]),
            row(
                f"N={n}: answered ones right first (right in top 3)",
                f"{abstention['precision_first']} ({abstention['precision_top3']})",
                target=">= 0.80",
                met=(abstention["precision_first"] or 0) >= 0.80,
            ),
            row(
                f"N={n}: out of scope handed off (held-out half / all)",
                f"{abstention['out_of_scope_handed_off']} / {abstention['out_of_scope_handed_off_all']}",
                target=">= 0.85",
                met=abstention["out_of_scope_handed_off"] >= 0.85,
            ),
        ]
    return rows


def kb_rows(report: dict) -> list[Row]:
    speed, abstention = report["speed"], report["abstention"]
    retrieval, alone = speed["retrieval"], speed["postgres_alone_retrieval"]
    rows = [row for n in ("5", "20") for row in _kb_quality(report, n)]
    return [
        *rows,
        row(
            "confidence threshold shipped (measured on validation)",
            abstention["threshold_shipped"],
            abstention["threshold_measured_on_validation"],
        ),
        row(
            f"retrieval p50 on {speed['articles']:,} articles, Postgres included (ms; vs Postgres alone)",
            retrieval["p50_ms"],
            alone["p50_ms"],
        ),
        row(
            f"retrieval p95 on {speed['articles']:,} articles (ms; vs Postgres alone)",
            retrieval["p95_ms"],
            alone["p95_ms"],
            target="<= 20",
            met=retrieval["p95_ms"] <= 20,
        ),
        row("index build, first search (ms)", speed["first_search_builds_index_ms"]),
        row("search right after an edit, index rebuilt (ms)", speed["search_after_an_edit_rebuilds_ms"]),
        row("statements per search", ", ".join(map(str, speed["statements_per_search"])), target="constant"),
        row(
            "model load, fresh process (s)",
            speed["model_load_seconds"],
            target="<= 1",
            met=speed["model_load_seconds"] <= 1,
        ),
        *_kb_bot(report.get("bot")),
    ]


def _kb_bot(bot: dict | None) -> list[Row]:
    """The bot's first answer on the customer's socket, beside the ack of the same message."""
    if not bot:
        return []
    rows = []
    for part, label in (("one_at_a_time", "one customer at a time"), ("4_at_once", "four customers at once")):
        figures = bot.get(part)
        if not figures:
            continue
        answer, ack = figures["first_answer_ms"], figures["baseline_ack_ms"]
        rows.append(
            row(
                f"bot's first answer p95, {label} (ms; vs the message's own ack)",
                answer["p95_ms"],
                ack["p95_ms"],
                target="<= 300",
                met=answer["p95_ms"] is not None and answer["p95_ms"] <= 300,
            )
        )
        rows.append(row(f"bot's first answer p50, {label} (ms; vs ack)", answer["p50_ms"], ack["p50_ms"]))
        rows.append(
            row(f"questions the bot answered, {label}", f"{figures['answered']} / {figures['asked']}")
        )
    return rows
