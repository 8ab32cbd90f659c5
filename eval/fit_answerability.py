"""Fit the answerability model (assistant/answerability.py) and report its refusals.

    python -m eval.fit_answerability [--datasets DIR] [--sets cmrc2018,covid_faq,or_sharc]
                                     [--limit N] [--seed S] [--data-dir DIR]
                                     [--rows FILE] [--out PATH] [--report-only PARAMS]

Training data: the help-centre benchmark's tune half (every centre) and split 0 of each shared
set (eval.bench_retrieval.split_key: by gold or removed document, so no paragraph is on both
sides). Reported, never fitted on: the benchmark's held-out half (false refusals per answerable
question type, refusal recall per unanswerable type) and split 1 of each shared set.

Every question is answered as the answer pipeline does up to its decision (assistant.answering.
Answerer): condensed (history included), retrieved (top 5, each ask of a message and the asked
edition of a page included), and its features computed with the semantic evidence (sentence vectors through the SQL vector cache in --data-dir). --rows keeps
the feature rows in a JSON file: the sources it already holds are read instead of retrieved again
(the others are computed and added), so a refit with other settings costs nothing. The benchmark weighs --benchmark-share (0.4) of the fit
and the shared sets split the rest equally, and within each source each class weighs half (fit's
class balance), so the ~3000-question shared sets do not drown the benchmark's few hundred. --limit samples N questions per shared set (seeded).
--report-only PARAMS scores an existing parameter file on the same rows (e.g. the shipped one
before a refit) and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.answerability import (
    DEFAULT_PARAMS_PATH,
    FEATURES,
    AnswerabilityParams,
    evidence,
    fit,
)
from assistant.answering import Answerer
from assistant.turn import Question
from eval.bench_retrieval import (
    DEFAULT_SETS,
    add_shared_set_arguments,
    datasets_root,
    history_messages,
    split_key,
)
from eval.datasets import EvalDataset, load_layout, select
from eval.helpcentres.build import CENTRES
from eval.helpcentres.dataset import load_helpcentres
from eval.kb import build_dataset_kb
from ingest.config import Settings

BENCHMARK = "helpcentres"


@dataclass
class Row:
    source: str  # "helpcentres" or a shared set's name
    part: str  # "train" or "heldout"
    kind: str  # the benchmark's question type; "answerable"/"unanswerable" on a shared set
    answerable: bool
    features: dict[str, float]


def question_rows(dataset: EvalDataset, settings: Settings, source: str, parts: dict[str, str]) -> list[Row]:
    """One row per question of `dataset` whose id is in `parts` (id -> train/heldout)."""
    kb = build_dataset_kb(dataset, settings).name
    answerer = Answerer(settings)
    rows = []
    items = [item for item in dataset.items if item.id in parts]
    for number, item in enumerate(items, 1):
        query = answerer.condenser.run(item.prompt, history_messages(item)).query
        retrieval = answerer.retrieve(Question.of(query, kb), query)
        passages = retrieval.passages
        semantic = answerer.judge.semantic(retrieval.query, passages) if passages else None
        found = evidence(retrieval.query, passages, retrieval.term_weights, semantic) if passages else None
        kind = str(item.meta.get("type") or ("answerable" if item.answerable else "unanswerable"))
        # Nothing retrieved: always refused; recorded with no features, scored as a refusal.
        rows.append(Row(source, parts[item.id], kind, item.answerable, found.features if found else {}))
        if number % 100 == 0:
            print(f"  {dataset.name}: {number}/{len(items)}", file=sys.stderr, flush=True)
    return rows


def collect(args: argparse.Namespace, settings: Settings, known: Sequence[Row] = ()) -> list[Row]:
    """The rows of every source; a source with rows in `known` is taken from there."""
    have = {r.source for r in known}
    rows: list[Row] = [r for r in known if r.source == BENCHMARK]
    for split, part in [] if BENCHMARK in have else (("tune", "train"), ("heldout", "heldout")):
        for centre in CENTRES:
            dataset = load_helpcentres(
                f"{BENCHMARK}/{centre}", split=split, out_dir=args.data_dir / BENCHMARK
            )
            rows += question_rows(dataset, settings, BENCHMARK, {item.id: part for item in dataset.items})
    root = datasets_root(args.datasets)
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        if name in have:
            rows += [r for r in known if r.source == name]
            continue
        dataset = load_layout(root / name)
        items = select(dataset.items, sample=args.limit, seed=args.seed)
        parts = {item.id: ("train" if split_key(item) == 0 else "heldout") for item in items}
        rows += question_rows(dataset, settings, name, parts)
    return rows


def refused(params: AnswerabilityParams, row: Row) -> bool:
    return not row.features or not params.answers(row.features)


def report(params: AnswerabilityParams, rows: Sequence[Row]) -> dict[str, dict[str, float]]:
    """Per (source, kind) on the held-out part: the refusal rate (false refusals of an answerable
    kind, recall of an unanswerable one); per shared set also the balanced accuracy."""
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        if row.part == "heldout":
            groups[(row.source, "all answerable" if row.answerable else "all unanswerable")].append(row)
            if row.kind not in ("answerable", "unanswerable"):  # a shared set's only kinds: the line above
                groups[(row.source, row.kind)].append(row)
    figures: dict[str, dict[str, float]] = {}
    for (source, kind), members in sorted(groups.items()):
        rate = sum(refused(params, r) for r in members) / len(members)
        label = "refusal recall" if not members[0].answerable else "false refusals"
        figures[f"{source}/{kind}"] = {label: round(rate, 4), "questions": len(members)}
        print(f"   {source:<12} {kind:<17} {label:<15} {rate:6.3f}  ({len(members)} questions)")
    for source in dict.fromkeys(r.source for r in rows):
        answerable = figures.get(f"{source}/all answerable", {}).get("false refusals")
        recall = figures.get(f"{source}/all unanswerable", {}).get("refusal recall")
        if answerable is not None and recall is not None:
            balanced = (recall + 1 - answerable) / 2
            figures[f"{source}/balanced accuracy"] = {"balanced accuracy": round(balanced, 4)}
            print(f"   {source:<12} balanced accuracy {balanced:.3f}")
    return figures


# The benchmark's share of the fit's total weight; the shared sets split the rest equally. The
# help centres are the questions kefu is for (the shared sets are a Wikipedia reading set, a
# COVID FAQ and government rules), so they weigh more than one source in four.
BENCHMARK_SHARE = 0.4


def fit_rows(
    rows: Sequence[Row], features: Sequence[str], l2: float = 10.0, benchmark_share: float = BENCHMARK_SHARE
) -> AnswerabilityParams:
    train = [r for r in rows if r.part == "train" and r.features]
    sources = {r.source for r in train}
    size = {s: sum(r.source == s for r in train) for s in sources}
    others = len(sources - {BENCHMARK})

    def share(source: str) -> float:
        if source == BENCHMARK:
            return benchmark_share if others else 1.0
        return (1.0 - benchmark_share) / others if BENCHMARK in sources else 1.0 / others

    # Each source weighs its share in total (fit balances the two classes on top of this).
    weights = [share(r.source) * len(train) / size[r.source] for r in train]
    return fit(
        [r.features for r in train],
        [r.answerable for r in train],
        features=features,
        sample_weights=weights,
        l2=l2,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.fit_answerability", description=__doc__.split("\n\n")[0]
    )
    add_shared_set_arguments(parser)
    parser.add_argument("--rows", type=Path, help="feature rows: read if the file exists, else written")
    parser.add_argument("--features", default=",".join(FEATURES), help="features the model uses")
    parser.add_argument(
        "--l2", type=float, default=10.0, help="L2 penalty of the fit (chosen on the training rows)"
    )
    parser.add_argument(
        "--benchmark-share", type=float, default=BENCHMARK_SHARE, help="the help centres' share of the fit"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_PARAMS_PATH)
    parser.add_argument("--report-only", type=Path, metavar="PARAMS")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    settings = Settings(data_dir=args.data_dir)
    known = []
    if args.rows and args.rows.exists():
        known = [Row(**row) for row in json.loads(args.rows.read_text(encoding="utf-8"))]
    rows = collect(args, settings, known)
    if args.rows:
        args.rows.write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False), encoding="utf-8")
    if args.report_only:
        print(f"== {args.report_only} on the held-out parts")
        report(AnswerabilityParams.load(args.report_only), rows)
        return 0
    features = [f.strip() for f in args.features.split(",") if f.strip()]
    params = fit_rows(rows, features, args.l2, args.benchmark_share)
    print(
        "== fit: " + "  ".join(f"{f} {w:+.3f}" for f, w in zip(params.features, params.weights, strict=True))
    )
    print(f"   bias {params.bias:+.3f}, threshold {params.threshold}")
    print("== held out (never fitted on)")
    held_out = report(params, rows)
    params.fitted_on = {
        "command": "python -m eval.fit_answerability"
        + (f" --sets {args.sets}" if args.sets != ",".join(DEFAULT_SETS) else "")
        + (f" --limit {args.limit} --seed {args.seed}" if args.limit else "")
        + (f" --features {args.features}" if args.features != ",".join(FEATURES) else "")
        + (f" --l2 {args.l2:g}" if args.l2 != 10.0 else ""),
        "train_questions": {
            source: sum(r.source == source and r.part == "train" for r in rows)
            for source in dict.fromkeys(r.source for r in rows)
        },
        "held_out": held_out,
    }
    args.out.write_text(params.to_json(), encoding="utf-8")
    print(f"written to {args.out}; wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
