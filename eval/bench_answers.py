"""Answer-level benchmark on the help centres (eval.helpcentres): every question of a split
answered by the eval harness's arms, scored by eval.answer_scores, tabled per question type and
per help centre.

    python -m eval.bench_answers [--split tune|heldout] [--arm kefu|baseline ...]
                                 [--centre carrier|shop|...|rail|utility ...] [--limit N]
                                 [--data-dir DIR] [--no-retrieval | --retrieval-only]
                                 [--out FILE.json]

Each help centre is built into files (md, html, txt, csv, docx, xlsx, pdf; English and Chinese)
and ingested into its own knowledge base in --data-dir (default ~/.cache/kefu-bench), as a
customer would ingest their help-centre folder; vectors are cached there, so reruns embed
nothing new. Every question of the split (default heldout) is answered through eval.runner with
each arm (default kefu and baseline: eval.arms), then scored (eval.scoring: alias correctness in
both languages, wrong facts, irrelevant sentences, refusals).

Printed per arm: a table per question type and one per help centre with the share correct (of
answerable), the wrong-fact rate (of answered answerable), the false-refusal rate (of
answerable), refusal recall (of unanswerable), the irrelevant-sentence rate (of the sentences
of answered answerable questions) and hit@5 of the arm's passages. Unless --no-retrieval, also
hit@5 per help centre of kefu's BM25, dense and hybrid retrieval on the condensed query, over
all answerable questions and over the cross-language and edition ones (--retrieval-only: that
table alone, no answers).
--out writes every row (answer, passages, scores, wrong-fact reasons, irrelevant sentences);
--rescore FILE scores the rows of such a file again with the current scoring, answering nothing
(the figures of one set of answers after a change of eval.answer_scores).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from eval.arms import get_arm
from eval.datasets import EvalDataset, select
from eval.helpcentres.build import CENTRES
from eval.helpcentres.dataset import QUESTION_TYPES, SPLITS, load_helpcentres
from eval.kb import Progress, build_dataset_kb, reference_texts
from eval.report import breakdown_table
from eval.runner import ArmContext, answer_all, finite
from eval.scoring import Row, breakdown, score_rows
from ingest.config import Settings

ARMS = ("kefu", "baseline")
RETRIEVERS = ("bm25", "dense", "hybrid")
# Question types whose retrieval hit@5 is also shown on its own.
RETRIEVAL_TYPES = ("crosslang", "edition")


def _progress(label: str) -> Progress:
    last = [0.0]

    def report(stage: str, done: int, total: int) -> None:
        if time.monotonic() - last[0] > 20 or done == total:
            last[0] = time.monotonic()
            print(f"  {label}: {stage} {done}/{total}", file=sys.stderr, flush=True)

    return report


def answer_centre(
    dataset: EvalDataset, settings: Settings, kb: str, arm: str, limit: int | None
) -> list[Row]:
    """The split's questions of one centre answered by one arm and scored."""
    items = select(dataset.items, limit=limit)
    answer_fn = get_arm(arm)(ArmContext(settings, kb, dataset))
    rows = answer_all(items, answer_fn, progress=_progress(f"{dataset.name} {arm}"))
    gold = {doc for item in items for doc in item.gold_doc_ids}
    score_rows(rows, reference_texts(dataset, settings, kb, gold))
    for row in rows:
        row["arm"] = arm
    return rows


def rescore(
    path: Path, settings: Settings, data_dir: Path
) -> tuple[str, dict[str, list[Row]], dict[str, Any]]:
    """(split, rows per arm, retrieval) of an --out file, its rows scored again."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    rows: dict[str, list[Row]] = saved["rows"]
    for centre in [c for c in CENTRES if any(r["meta"]["centre"] == c for arm in rows.values() for r in arm)]:
        dataset = load_helpcentres(
            f"helpcentres/{centre}", split=saved["split"], out_dir=data_dir / "helpcentres"
        )
        kb = build_dataset_kb(dataset, settings).name
        for arm_rows in rows.values():
            mine = [row for row in arm_rows if row["meta"]["centre"] == centre]
            gold = {doc for row in mine for doc in row["gold_doc_ids"]}
            score_rows(mine, reference_texts(dataset, settings, kb, gold))
    return saved["split"], rows, saved.get("retrieval", {})


def retrieval_hits(dataset: EvalDataset, settings: Settings, kb: str, limit: int | None) -> dict[str, float]:
    """hit@5 of kefu's BM25, dense and hybrid rankings (distinct documents) on the condensed
    query, over the answerable questions ("bm25", "dense", "hybrid"), and over the cross-language
    and edition questions alone ("crosslang bm25", ..., "edition hybrid"). "edition hybrid@1": the
    hybrid's first document is the asked edition (every edition of a page is on topic, so hit@5
    hardly tells a preferred edition from another)."""
    from assistant.condense import QueryCondenser
    from assistant.retrieval.retriever import HybridRetriever
    from eval.bench_retrieval import documents, history_messages, sources_of

    retriever = HybridRetriever(settings)
    condenser = QueryCondenser(settings)
    catalog = retriever.snapshot(kb).catalog
    chunk_source = {
        chunk: catalog.documents[doc].source for chunk, doc in zip(catalog.chunk_ids, catalog.doc_index)
    }
    hits: dict[str, list[bool]] = {}
    for item in select(dataset.items, only="answerable", limit=limit):
        query = condenser.run(item.prompt, history_messages(item)).query
        result = retriever.run(query, kb, top_k=10)
        ranked = {name: sources_of(result.candidates[name], chunk_source) for name in ("bm25", "dense")}
        ranked["hybrid"] = documents(p.source for p in result.passages)
        kind = item.meta.get("type")
        for name, sources in ranked.items():
            hit = any(source in item.gold_doc_ids for source in sources[:5])
            hits.setdefault(name, []).append(hit)
            if kind in RETRIEVAL_TYPES:
                hits.setdefault(f"{kind} {name}", []).append(hit)
        if kind == "edition":
            hits.setdefault("edition hybrid@1", []).append(
                ranked["hybrid"][:1] != [] and ranked["hybrid"][0] in item.gold_doc_ids
            )
    return {name: sum(values) / len(values) for name, values in hits.items() if values}


def print_tables(console: Console, arm: str, rows: list[Row], split: str) -> None:
    console.print(
        breakdown_table(f"{arm} arm · {split} · per question type", _with_total(rows, "type"), QUESTION_TYPES)
    )
    console.print(
        breakdown_table(f"{arm} arm · {split} · per help centre", _with_total(rows, "centre"), CENTRES)
    )


def _with_total(rows: list[Row], field: str) -> dict[str, dict[str, Any]]:
    groups = breakdown(rows, field)
    groups["all"] = breakdown([{**row, "meta": {**row["meta"], "_all": "all"}} for row in rows], "_all")[
        "all"
    ]
    return groups


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench_answers", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--split", choices=SPLITS, default="heldout")
    parser.add_argument(
        "--arm", action="append", help=f"arm to run (repeatable; default {' and '.join(ARMS)})"
    )
    parser.add_argument("--centre", action="append", choices=CENTRES)
    parser.add_argument("--limit", type=int, help="only the first N questions of each centre's split")
    parser.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "kefu-bench")
    parser.add_argument("--no-retrieval", action="store_true", help="skip the BM25/dense/hybrid hit@5 table")
    parser.add_argument("--retrieval-only", action="store_true", help="only the hit@5 table: answer nothing")
    parser.add_argument("--out", type=Path, help="write every scored row as JSON")
    parser.add_argument("--rescore", type=Path, help="score the rows of an earlier --out file again")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    console = Console(width=140)
    settings = Settings(data_dir=args.data_dir)
    arms = [] if args.retrieval_only else args.arm or list(ARMS)
    rows: dict[str, list[Row]] = {arm: [] for arm in arms}
    retrieval: dict[str, dict[str, float]] = {}
    if args.rescore:
        args.split, rows, retrieval = rescore(args.rescore, settings, args.data_dir)
        arms = list(rows)
    for centre in [] if args.rescore else args.centre or CENTRES:
        dataset = load_helpcentres(
            f"helpcentres/{centre}", split=args.split, out_dir=args.data_dir / "helpcentres"
        )
        kb = build_dataset_kb(dataset, settings, _progress(dataset.name)).name
        for arm in arms:
            rows[arm] += answer_centre(dataset, settings, kb, arm, args.limit)
        if not args.no_retrieval:
            retrieval[centre] = retrieval_hits(dataset, settings, kb, args.limit)
    for arm in arms:
        print_tables(console, arm, rows[arm], args.split)
    if retrieval:
        console.print("hit@5 per help centre (answerable questions, condensed query):")
        for centre, hits in retrieval.items():
            console.print(
                f"  {centre:8s} "
                + "  ".join(f"{name} {hits[name]:.3f}" for name in RETRIEVERS if name in hits)
            )
            for kind in RETRIEVAL_TYPES:
                names = [f"{kind} {name}" for name in (*RETRIEVERS, "hybrid@1")]
                console.print(
                    f"  {'':8s} " + "  ".join(f"{name} {hits[name]:.3f}" for name in names if name in hits)
                )
    if args.out:
        args.out.write_text(
            json.dumps(
                finite({"split": args.split, "rows": rows, "retrieval": retrieval}),
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
        console.print(f"rows written to {args.out}")
    console.print(f"wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
