"""Per-question scores and the run summary, from answered rows (see eval.runner.answer_one)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eval.metrics import (
    HIT_KS,
    alias_match,
    citation_validity,
    doc_ranking,
    exact_match,
    mean,
    percentile,
    refusal_scores,
    retrieval_scores,
)
from eval.ragas_scores import RAGAS_METRICS, ragas_row_scores

if TYPE_CHECKING:
    from eval.judge import Judge

Row = dict[str, Any]
RETRIEVAL_METRICS = tuple(f"hit@{k}" for k in HIT_KS) + ("mrr@10", "ndcg@10")
# Metrics where a lower value is better (the gate and compare use this).
LOWER_IS_BETTER = frozenset(
    {"false_refusal_rate", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "latency_mean_ms",
     "error_rate", "judge_error_rate"}
)


def base_scores(row: Row) -> dict[str, float | bool | None]:
    """Retrieval, answer match, correctness and citation scores of one row (no Ragas)."""
    scores: dict[str, float | bool | None] = dict.fromkeys(RETRIEVAL_METRICS)
    gold = set(row["gold_doc_ids"])
    failed = bool(row.get("error"))
    if row["answerable"] and gold and not failed:
        scores.update(retrieval_scores(doc_ranking(p["doc_id"] for p in row["passages"]), gold))
    answered = row["answerable"] and not failed
    match = alias_match(row["answer"], row["aliases"]) if answered else None
    if match is not None and row["refused"]:
        match = False  # a refusal that happens to contain the alias did not answer
    scores["answer_match"] = match
    scores["exact_match"] = (
        any(exact_match(row["answer"], alias) for group in row["aliases"] for alias in group)
        if answered and row["aliases"] else None
    )
    if failed:
        scores["correct"] = False
    elif not row["answerable"]:
        scores["correct"] = row["refused"]
    else:
        scores["correct"] = match  # None for free-text references
    scores["citation_valid"] = (
        None if row["refused"] or failed
        else citation_validity(row["answer"], row["citations"], len(row["passages"]))
    )
    return scores


def score_rows(
    rows: list[Row],
    reference_contexts: dict[str, str],
    *,
    judge: Judge | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """Adds row["scores"] (and row["judge_errors"] when judged) to every row, in place."""
    for done, row in enumerate(rows, 1):
        row["scores"] = {**base_scores(row), **ragas_row_scores(row, reference_contexts)}
        if progress is not None:
            progress("score", done, len(rows))
    if judge is not None:
        judge.score_rows(rows, progress=progress)


def _mean_of(rows: list[Row], name: str) -> float | None:
    return mean(row["scores"].get(name) for row in rows)


def summarise(rows: list[Row]) -> dict[str, Any]:
    """{"metrics": {name: value or None}, "counts": {...}, "modes": {mode: n}}."""
    metrics: dict[str, float | None] = {}
    ok = [row for row in rows if not row.get("error")]
    for name in RETRIEVAL_METRICS:
        metrics[name] = _mean_of(rows, name)
    refusal = refusal_scores([not r["answerable"] for r in ok], [r["refused"] for r in ok])
    metrics.update(
        refusal_precision=refusal.precision, refusal_recall=refusal.recall, refusal_f1=refusal.f1,
        refusal_balanced_accuracy=refusal.balanced_accuracy,
        false_refusal_rate=refusal.false_refusal_rate,
    )
    for name in ("answer_match", "exact_match", "correct", "citation_valid"):
        metrics[name] = _mean_of(rows, name)
    answered = [r for r in ok if not r["refused"]]
    # Share of given answers that cite at least one passage.
    metrics["citation_rate"] = mean(r["scores"]["citation_valid"] is not None for r in answered)
    latencies = [r["latency_ms"] for r in ok]
    for q in (50, 95, 99):
        metrics[f"latency_p{q}_ms"] = percentile(latencies, q)
    metrics["latency_mean_ms"] = mean(latencies)
    for name in RAGAS_METRICS:
        metrics[name] = _mean_of(rows, name)
    judged = [r for r in rows if "judge_errors" in r]
    if judged:
        from eval.judge import JUDGE_METRICS

        for name in JUDGE_METRICS:
            metrics[name] = _mean_of(rows, name)
        calls = sum(r["judge_calls"] for r in judged)
        metrics["judge_error_rate"] = sum(len(r["judge_errors"]) for r in judged) / calls if calls else None
    metrics["error_rate"] = mean(bool(r.get("error")) for r in rows)
    counts = {
        "questions": len(rows),
        "errors": len(rows) - len(ok),
        "answerable": sum(r["answerable"] for r in rows),
        "unanswerable": sum(not r["answerable"] for r in rows),
        "with_gold": sum(bool(r["gold_doc_ids"]) and r["answerable"] for r in rows),
        "with_aliases": sum(bool(r["aliases"]) for r in rows),
        "with_history": sum(bool(r["history"]) for r in rows),
        "refused": sum(r["refused"] for r in ok),
        "refusal_tp": refusal.tp, "refusal_fp": refusal.fp,
        "refusal_fn": refusal.fn, "refusal_tn": refusal.tn,
    }
    return {"metrics": metrics, "counts": counts, "modes": dict(Counter(r["mode"] for r in rows))}
