"""Per-question scores and the run summary, from answered rows (see eval.runner.answer_one).

Rows of sets whose questions carry key facts (meta.key_facts: the help-centre benchmark) also get
the answer-level scores of eval.answer_scores (bilingual alias correctness, wrong fact,
irrelevant sentences), and the summary gets them per question type and per help centre.
"""

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
from eval.answer_scores import AnswerGold, check_answer
from eval.ragas_scores import RAGAS_METRICS, ragas_row_scores

if TYPE_CHECKING:
    from eval.judge import Judge

Row = dict[str, Any]
RETRIEVAL_METRICS = tuple(f"hit@{k}" for k in HIT_KS) + ("mrr@10", "ndcg@10")
# Metrics where a lower value is better (the gate and compare use this).
LOWER_IS_BETTER = frozenset(
    {
        "false_refusal_rate",
        "wrong_fact_rate",
        "irrelevant_sentence_rate",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "latency_mean_ms",
        "error_rate",
        "judge_error_rate",
    }
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
        if answered and row["aliases"]
        else None
    )
    if failed:
        scores["correct"] = False
    elif not row["answerable"]:
        scores["correct"] = row["refused"]
    else:
        scores["correct"] = match  # None for free-text references
    scores["citation_valid"] = (
        None
        if row["refused"] or failed
        else citation_validity(row["answer"], row["citations"], len(row["passages"]))
    )
    return scores


def has_answer_gold(row: Row) -> bool:
    return "key_facts" in (row.get("meta") or {})


def answer_level_scores(row: Row, reference_contexts: dict[str, str]) -> dict[str, float | bool | None]:
    """eval.answer_scores for a benchmark row; the wrong-fact reasons and irrelevant sentences
    go to row["answer_check"] for reading. Refusals and unanswerable questions get None."""
    if not row["answerable"] or row.get("error") or row["refused"]:
        return {
            "wrong_fact": None,
            "sentences": None,
            "irrelevant_sentences": None,
            **({"correct": False, "answer_match": False} if row["answerable"] else {}),
        }
    meta = row["meta"]
    gold = AnswerGold(
        question=row["question"],
        aliases=row["aliases"],
        key_facts=list(meta["key_facts"]),
        gold_texts=[reference_contexts.get(doc, "") for doc in row["gold_doc_ids"]],
        gold_passages=list(meta.get("gold_passages", [])),
        history=row["history"],
        names=list(meta.get("names", [])),
    )
    check = check_answer(row["answer"], gold)
    row["answer_check"] = {"wrong_facts": check.wrong_facts, "irrelevant": check.irrelevant}
    return {
        "correct": check.correct,
        "answer_match": check.correct,
        "wrong_fact": check.wrong_fact,
        "sentences": check.sentences,
        "irrelevant_sentences": len(check.irrelevant),
    }


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
        if has_answer_gold(row):
            row["scores"].update(answer_level_scores(row, reference_contexts))
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
        refusal_precision=refusal.precision,
        refusal_recall=refusal.recall,
        refusal_f1=refusal.f1,
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
    graded = [r for r in rows if has_answer_gold(r)]
    if graded:
        graded_metrics = answer_level_metrics(graded)
        for name in ("answer_correct", "wrong_fact_rate", "irrelevant_sentence_rate"):
            metrics[name] = graded_metrics[name]
    counts = {
        "questions": len(rows),
        "errors": len(rows) - len(ok),
        "answerable": sum(r["answerable"] for r in rows),
        "unanswerable": sum(not r["answerable"] for r in rows),
        "with_gold": sum(bool(r["gold_doc_ids"]) and r["answerable"] for r in rows),
        "with_aliases": sum(bool(r["aliases"]) for r in rows),
        "with_history": sum(bool(r["history"]) for r in rows),
        "refused": sum(r["refused"] for r in ok),
        "refusal_tp": refusal.tp,
        "refusal_fp": refusal.fp,
        "refusal_fn": refusal.fn,
        "refusal_tn": refusal.tn,
    }
    summary = {"metrics": metrics, "counts": counts, "modes": dict(Counter(r["mode"] for r in rows))}
    if graded:
        summary["by_type"] = breakdown(graded, "type")
        summary["by_centre"] = breakdown(graded, "centre")
    return summary


def answer_level_metrics(rows: list[Row]) -> dict[str, float | None]:
    """The benchmark's figures over scored rows (errors count as wrong answers, not refusals):
    correct = share of answerable questions answered correctly; wrong_fact_rate = share of the
    answered answerable questions whose answer states a wrong fact; false_refusal_rate = share
    of answerable questions refused; refusal_recall = share of unanswerable questions refused;
    irrelevant_sentence_rate = irrelevant sentences / counted sentences of the answered
    answerable questions; hit@5 over answerable questions."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    answered = [r for r in answerable if not r["refused"] and not r.get("error")]
    sentences = sum(r["scores"].get("sentences") or 0 for r in answered)
    return {
        "answer_correct": mean(bool(r["scores"].get("correct")) for r in answerable),
        "wrong_fact_rate": mean(r["scores"].get("wrong_fact") for r in answered),
        "false_refusal_rate": mean(bool(r["refused"]) for r in answerable),
        "refusal_recall": mean(bool(r["refused"]) for r in unanswerable),
        "irrelevant_sentence_rate": (
            sum(r["scores"].get("irrelevant_sentences") or 0 for r in answered) / sentences
            if sentences
            else None
        ),
        "hit@5": mean(r["scores"].get("hit@5") for r in answerable),
    }


def breakdown(rows: list[Row], field: str) -> dict[str, dict[str, Any]]:
    """answer_level_metrics per value of meta[field] (question type or help centre), with counts."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(str(row["meta"].get(field)), []).append(row)
    return {
        name: {
            "questions": len(members),
            "answerable": sum(r["answerable"] for r in members),
            **answer_level_metrics(members),
        }
        for name, members in groups.items()
    }
