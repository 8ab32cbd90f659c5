"""Retrieval benchmark: BM25, dense, titles, kefu's hybrid retriever and a naive llama-index baseline,
measured in one run on the shared data sets; plus refusal quality and retrieval latency.

    python -m eval.bench_retrieval [--datasets DIR] [--sets cmrc2018,covid_faq,or_sharc]
                                   [--limit N] [--seed S] [--data-dir DIR]
                                   [--answers N] [--tune-fusion]

Each corpus is ingested once into a knowledge base in --data-dir (default ~/.cache/kefu-bench)
exactly as the eval harness does it (eval.kb.build_dataset_kb: one document per corpus row,
source = row id, so gold_doc_ids are Document.source values). Vectors are cached there by text
hash, for kefu's chunks and for the baseline's nodes alike, so reruns embed nothing.

Per set it prints hit@1/5/10 and MRR@10 for each retriever (llama-index: the baseline given the
same condensed query as kefu, so the comparison is about retrieval alone; llama-raw: the baseline
given the message as typed, as a naive prototype without condensing would), on the ranking of
distinct documents each one returns (chunks reduced to their document's first occurrence, as
eval.metrics does; a hit: a gold document among the first k), retrieval latency p50/p95, and the
answerability judge's refusals:
precision/recall/balanced accuracy where a set has unanswerable questions, the refusal rate
(false refusals) where all are answerable. Questions with history go through the condenser.
The baseline's latency leaves out the query embedding: the embedder's query cache serves it the
vector kefu's retriever has just computed for the same text.

--answers N    also answers N of each set's questions (seeded sample, default 30; 0: skip) with the
               full answer pipeline on the default local model (guard, condense, retrieve, decide,
               generate or extract, grounding check; not recorded: eval.arms' kefu arm, one
               pipeline per set) and prints the full answer's latency p50/p95 and the answer modes.
               The first English drafts set the generation gate (assistant/generation_gate.py), so
               a small N overweights them.

--tune-fusion  re-fuses the BM25, dense and title candidate lists offline over a grid of methods,
               weights and k, and prints mean hit@5 / MRR@10 per setting (how the defaults in
               assistant/retrieval/fusion.py were chosen).
The answerability model is fitted by eval.fit_answerability (on the help-centre benchmark's tune
half and split_key 0 of these sets).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.answerability import AnswerabilityJudge, AnswerabilityParamsError, evidence, load_params
from assistant.condense import QueryCondenser
from assistant.retrieval.baseline import BaselineDocument, KefuEmbedding, NaiveLlamaIndexRetriever
from ingest.config import RetrievalSettings, Settings
from assistant.retrieval.fusion import fuse
from assistant.retrieval.retriever import HybridRetriever
from assistant.retrieval.types import RankedList
from assistant.sentence_vectors import SentenceVectors
from assistant.types import Message
from eval.arms import kefu_arm
from eval.datasets import EvalDataset, EvalItem, load_layout, select
from eval.kb import Progress, build_dataset_kb
from eval.metrics import doc_ranking
from eval.runner import AnswerFn, ArmContext
from ingest.db import open_database
from ingest.embedding import Embedder, get_embedder
from ingest.vector_cache import SQLVectorCache

DEFAULT_SETS = ("cmrc2018", "covid_faq", "or_sharc")
KS = (1, 5, 10)
DEPTH = max(KS)
RETRIEVERS = ("bm25", "dense", "title", "hybrid", "llama-index", "llama-raw")
LISTS = ("bm25", "translated", "dense", "title")  # the retrievers whose candidate lists are fused
# The baseline returns nodes, not documents: asking for a few more keeps DEPTH documents after
# the (rare) second node of a long document is dropped; its ranking is unchanged.
BASELINE_NODES = 2 * DEPTH


def datasets_root(given: str | None) -> Path:
    if given:
        return Path(given)
    if os.environ.get("KEFU_DATASETS"):
        return Path(os.environ["KEFU_DATASETS"])
    return Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@dataclass
class QuestionRecord:
    item: EvalItem
    query: str
    sources: dict[str, list[str]]  # retriever -> its first DEPTH distinct documents (sources)
    candidates: dict[str, RankedList]  # the LISTS' full candidate lists (for --tune-fusion)
    latency_ms: dict[str, float]  # "hybrid" / "llama-index"
    features: dict[str, float]
    refused: bool

    @property
    def gold(self) -> set[str]:
        return set(self.item.gold_doc_ids)


@dataclass
class SetRun:
    name: str
    records: list[QuestionRecord]
    chunk_source: dict[str, str]  # chunk id -> document source
    judged: bool  # refusals decided by the answerability judge (False: no parameters yet)
    timings: dict[str, float] = field(default_factory=dict)


def first_hit(sources: Sequence[str], gold: set[str]) -> int | None:
    for rank, source in enumerate(sources[:DEPTH], 1):
        if source in gold:
            return rank
    return None


def retrieval_metrics(ranked_sources: Iterable[tuple[Sequence[str], set[str]]]) -> dict[str, float]:
    ranks = [first_hit(sources, gold) for sources, gold in ranked_sources]
    if not ranks:
        return {}
    metrics = {f"hit@{k}": float(np.mean([r is not None and r <= k for r in ranks])) for k in KS}
    metrics["mrr@10"] = float(np.mean([1.0 / r if r else 0.0 for r in ranks]))
    return metrics


def refusal_metrics(records: Sequence[QuestionRecord]) -> dict[str, float]:
    answerable = [r for r in records if r.item.answerable]
    unanswerable = [r for r in records if not r.item.answerable]
    refused = [r for r in records if r.refused]
    metrics = {
        "refusal_rate_on_answerable": float(np.mean([r.refused for r in answerable])) if answerable else 0.0
    }
    if unanswerable and answerable:
        true_refusals = sum(not r.item.answerable for r in refused)
        recall = true_refusals / len(unanswerable)
        specificity = 1.0 - metrics["refusal_rate_on_answerable"]
        metrics |= {
            "precision": true_refusals / len(refused) if refused else 0.0,
            "recall": recall,
            "balanced_accuracy": (recall + specificity) / 2,
        }
    return metrics


def history_messages(item: EvalItem) -> list[Message]:
    return [
        Message("user" if turn["role"] == "user" else "assistant", turn["content"])
        for turn in item.history
        if turn.get("role") in ("user", "assistant")
    ]


def documents(sources: Iterable[str]) -> list[str]:
    """The first DEPTH distinct documents of a ranking of chunks (eval.metrics.doc_ranking): every
    arm is scored on the documents it ranks, so neither a retriever that returns several chunks of
    one document nor one with document-sized chunks is favoured."""
    return doc_ranking(sources)[:DEPTH]


def sources_of(ranked: RankedList, chunk_source: dict[str, str]) -> list[str]:
    return documents(chunk_source[h.chunk_id] for h in ranked.hits if h.chunk_id in chunk_source)


class SetBench:
    """Builds one set's knowledge base and baseline, then answers its questions with every retriever."""

    def __init__(self, dataset: EvalDataset, settings: Settings, retrieval: RetrievalSettings) -> None:
        started = time.perf_counter()
        self.dataset = dataset
        self.kb = build_dataset_kb(dataset, settings, _progress(dataset.name)).name
        self.ingest_s = time.perf_counter() - started
        self.retriever = HybridRetriever(settings, retrieval=retrieval)
        self.condenser = QueryCondenser(settings, retrieval=retrieval)
        try:
            vectors = SentenceVectors.from_settings(settings, self.retriever.db)
            self.judge: AnswerabilityJudge | None = AnswerabilityJudge(
                load_params(retrieval), vectors=vectors
            )
        except AnswerabilityParamsError as exc:  # a broken KEFU_ANSWERABILITY_PARAMS file
            print(f"  no answerability parameters, refusals not measured: {exc}", file=sys.stderr)
            self.judge = None
        embedder = get_embedder(settings)
        cache = SQLVectorCache(open_database(settings.sql_url), embedder.name)
        started = time.perf_counter()
        self.baseline = NaiveLlamaIndexRetriever(
            [BaselineDocument(d.id, d.text, d.title) for d in dataset.corpus], KefuEmbedding(embedder, cache)
        )
        self.baseline_s = time.perf_counter() - started
        snapshot = self.retriever.snapshot(self.kb)
        catalog = snapshot.catalog
        self.chunk_source = {
            chunk_id: catalog.documents[doc].source
            for chunk_id, doc in zip(catalog.chunk_ids, catalog.doc_index)
        }

    def run(self, items: Sequence[EvalItem]) -> SetRun:
        records = []
        for number, item in enumerate(items, 1):
            records.append(self.question(item))
            if number % 100 == 0:
                print(f"  {self.dataset.name}: {number}/{len(items)} questions", file=sys.stderr, flush=True)
        return SetRun(
            self.dataset.name,
            records,
            self.chunk_source,
            self.judge is not None,
            {"ingest_s": self.ingest_s, "baseline_build_s": self.baseline_s},
        )

    def question(self, item: EvalItem) -> QuestionRecord:
        query = self.condenser.run(item.prompt, history_messages(item)).query
        result = self.retriever.run(query, self.kb, top_k=DEPTH)
        started = time.perf_counter()
        baseline = self.baseline.run(query, top_k=BASELINE_NODES)
        baseline_ms = (time.perf_counter() - started) * 1000
        # What a naive prototype retrieves with: the message as typed, without kefu's condensing.
        raw = baseline if query == item.prompt else self.baseline.run(item.prompt, top_k=BASELINE_NODES)
        verdict = (
            self.judge.run(query, result.passages, term_weights=result.query_terms) if self.judge else None
        )
        return QuestionRecord(
            item=item,
            query=query,
            sources={
                **{name: sources_of(result.candidates[name], self.chunk_source) for name in LISTS},
                "hybrid": documents(p.source for p in result.passages),
                "llama-index": documents(p.source for p in baseline),
                "llama-raw": documents(p.source for p in raw),
            },
            candidates={name: result.candidates[name] for name in LISTS},
            latency_ms={"hybrid": result.timings_ms["total"], "llama-index": baseline_ms},
            features=verdict.features
            if verdict
            else evidence(query, result.passages, result.query_terms).features,
            refused=verdict is not None and not verdict.answerable,
        )


def print_answers(answer: AnswerFn, items: Sequence[EvalItem], embedder: Embedder) -> None:
    """Full answers (the eval harness's kefu arm) to `items`: latency p50/p95 and the modes.
    Each is a first-time question: the retrieval runs above left its query vector cached."""
    records = []
    for item in items:
        embedder.query_cache.clear()
        records.append(answer(item.prompt, item.history))
    latencies = [r.latency_ms for r in records]
    modes = ", ".join(f"{mode} {count}" for mode, count in sorted(Counter(r.mode for r in records).items()))
    p50, p95 = np.percentile(latencies, 50), np.percentile(latencies, 95)
    print(f"   full answer  {len(records)} questions: p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  ({modes})")


def _progress(name: str) -> Progress:
    last = [0.0]

    def report(stage: str, done: int, total: int) -> None:
        if time.monotonic() - last[0] > 15 or done == total:
            last[0] = time.monotonic()
            print(f"  {name}: {stage} {done}/{total}", file=sys.stderr, flush=True)

    return report


def print_set(run: SetRun) -> None:
    answerable = [r for r in run.records if r.item.answerable and r.gold]
    print(f"\n== {run.name}: {len(run.records)} questions ({len(answerable)} answerable with gold documents)")
    print(f"   {'retriever':<12} {'hit@1':>6} {'hit@5':>6} {'hit@10':>6} {'mrr@10':>7}")
    for name in RETRIEVERS:
        m = retrieval_metrics((r.sources[name], r.gold) for r in answerable)
        print(f"   {name:<12} {m['hit@1']:>6.3f} {m['hit@5']:>6.3f} {m['hit@10']:>6.3f} {m['mrr@10']:>7.3f}")
    for name in ("hybrid", "llama-index"):
        latencies = [r.latency_ms[name] for r in run.records]
        print(
            f"   latency {name:<12} p50 {np.percentile(latencies, 50):6.1f} ms  p95 {np.percentile(latencies, 95):6.1f} ms"
        )
    if run.judged:
        refusals = refusal_metrics(run.records)
        print("   refusals    " + "  ".join(f"{k} {v:.3f}" for k, v in refusals.items()))
    else:
        print("   refusals    not measured (no answerability parameters)")
    print("   build       " + "  ".join(f"{k} {v:.1f}" for k, v in run.timings.items()))


def print_goals(runs: Sequence[SetRun]) -> None:
    print("\n== goals")
    gains, raw_gains = [], []
    for run in runs:
        answerable = [r for r in run.records if r.item.answerable and r.gold]
        hit5 = {n: retrieval_metrics((r.sources[n], r.gold) for r in answerable)["hit@5"] for n in RETRIEVERS}
        best_single = max(hit5["bm25"], hit5["dense"])
        gains.append(hit5["hybrid"] - hit5["llama-index"])
        raw_gains.append(hit5["hybrid"] - hit5["llama-raw"])
        verdict = "ok" if hit5["hybrid"] >= best_single else "MISSED"
        print(
            f"   {run.name}: hybrid hit@5 {hit5['hybrid']:.3f} >= max(bm25, dense) {best_single:.3f}: {verdict}"
        )
        p95 = float(np.percentile([r.latency_ms["hybrid"] for r in run.records], 95))
        print(f"   {run.name}: hybrid p95 {p95:.1f} ms < 50 ms: {'ok' if p95 < 50 else 'MISSED'}")
        refusals = refusal_metrics(run.records) if run.judged else {}
        if "balanced_accuracy" in refusals:
            ok = "ok" if refusals["balanced_accuracy"] >= 0.85 else "MISSED"
            print(
                f"   {run.name}: refusal balanced accuracy {refusals['balanced_accuracy']:.3f} >= 0.85: {ok}"
            )
    mean_gain = float(np.mean(gains)) * 100
    print(
        f"   mean hit@5 gain over llama-index baseline {mean_gain:+.1f} points >= +5: {'ok' if mean_gain >= 5 else 'MISSED'}"
    )
    raw_gain = float(np.mean(raw_gains)) * 100
    print(f"   (over the baseline given the raw message, without kefu's condensing: {raw_gain:+.1f} points)")


def tune_fusion(runs: Sequence[SetRun]) -> None:
    """Mean hit@5 / MRR@10 over the sets for each fusion setting, from the stored candidate lists."""
    grid: list[tuple[str, float, float, float]] = [
        ("rrf", w, t, k) for w in (0.3, 0.5, 1.0) for t in (0.0, 0.5, 1.0) for k in (20, 60)
    ]
    grid += [
        ("score", w, t, 0.0)
        for w in (0.35, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
        for t in (0.0, 0.5, 0.75, 1.0, 1.25, 1.5)
    ]
    print(
        "\n== fusion grid (bm25 and title weights relative to dense = 1): hit@5 per set, mean hit@5, mean mrr@10"
    )
    rows = []
    for method, weight, title, k in grid:
        weights = {"bm25": weight, "translated": 0.0, "dense": 1.0, "title": title}
        per_set, mrrs = [], []
        for run in runs:
            pairs = []
            for r in run.records:
                if r.item.answerable and r.gold:
                    fused = fuse([r.candidates[name] for name in LISTS], method, weights, k)  # type: ignore[arg-type]
                    pairs.append((sources_of(fused, run.chunk_source), r.gold))
            m = retrieval_metrics(pairs)
            per_set.append(m["hit@5"])
            mrrs.append(m["mrr@10"])
        rows.append((float(np.mean(per_set)), float(np.mean(mrrs)), method, weight, title, k, per_set))
    for mean_hit, mean_mrr, method, weight, title, k, per_set in sorted(rows, reverse=True):
        sets = " ".join(f"{run.name} {h:.3f}" for run, h in zip(runs, per_set, strict=True))
        print(
            f"   {method:<5} w_bm25 {weight:<4} w_title {title:<4} k {k:<4g} {sets}  mean {mean_hit:.3f}  mrr {mean_mrr:.3f}"
        )


def split_key(item: EvalItem) -> int:
    """0 or 1, by the question's gold (or removed) document: a paragraph's questions stay together."""
    anchor = (item.gold_doc_ids or [str(item.meta.get("removed_doc_id", item.id))])[0]
    return hashlib.sha256(anchor.encode()).digest()[0] % 2


def add_shared_set_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a benchmark over the shared data sets: where they are, which, how many
    questions of each (a seeded sample), and the cache folder of their knowledge bases."""
    parser.add_argument("--datasets", help="data sets folder (default: $KEFU_DATASETS or ../shared/datasets)")
    parser.add_argument("--sets", default=",".join(DEFAULT_SETS))
    parser.add_argument("--limit", type=int, help="sample this many questions per shared set (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "kefu-bench")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench_retrieval", description=__doc__.split("\n\n")[0]
    )
    add_shared_set_arguments(parser)
    parser.add_argument("--answers", type=int, default=30, metavar="N")
    parser.add_argument("--tune-fusion", action="store_true")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    settings = Settings(data_dir=args.data_dir)
    retrieval = RetrievalSettings()
    root = datasets_root(args.datasets)
    print(
        f"kefu retrieval benchmark: sets {args.sets}, limit {args.limit or 'all'}, seed {args.seed}, "
        f"fusion {retrieval.fusion_method} w={retrieval.weights} k={retrieval.rrf_k:g}, "
        f"faq boost {retrieval.faq_boost:g}, candidates {retrieval.retrieval_candidates}"
    )
    runs = []
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        dataset = load_layout(root / name)
        bench = SetBench(dataset, settings, retrieval)
        run = bench.run(select(dataset.items, sample=args.limit, seed=args.seed))
        print_set(run)
        if args.answers > 0:
            answer = kefu_arm(ArmContext(settings, bench.kb, dataset))
            print_answers(
                answer, select(dataset.items, sample=args.answers, seed=args.seed), get_embedder(settings)
            )
        runs.append(run)
    print_goals(runs)
    if args.tune_fusion:
        tune_fusion(runs)
    print(f"\nwall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
