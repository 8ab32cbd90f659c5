"""Ragas metrics that need no LLM, computed per question with Ragas' own implementations.

Ragas 0.4.3 keeps these in its classic metric API (ragas.metrics.<Name>, scored with
`single_turn_score(SingleTurnSample)`); importing them from `ragas.metrics` warns that they move
to `ragas.metrics.collections`, which has no NonLLM/IDBased context metrics yet, so the warning
is silenced here. ragas is imported lazily: it takes seconds.

Inputs: retrieved contexts = passage texts, reference contexts = gold document texts, retrieved /
reference context ids = passage doc ids / gold doc ids, response / reference = answer / reference
answer. RougeScore uses rouge-score's tokenizer, which keeps only [a-z0-9] and so scores Chinese as
empty: it is left out (None) for references with CJK text.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache
from typing import Any

from ingest.text import has_cjk

CONTEXT_METRICS = (
    "non_llm_context_recall",
    "non_llm_context_precision_with_reference",
    "id_based_context_recall",
    "id_based_context_precision",
)
ANSWER_METRICS = ("non_llm_string_similarity", "rouge_score")
RAGAS_METRICS = CONTEXT_METRICS + ANSWER_METRICS


@lru_cache(maxsize=1)
def _metrics() -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from ragas import metrics as m

        instances = [
            m.NonLLMContextRecall(),
            m.NonLLMContextPrecisionWithReference(),
            m.IDBasedContextRecall(),
            m.IDBasedContextPrecision(),
            m.NonLLMStringSimilarity(),
            m.RougeScore(),
        ]
    return {metric.name: metric for metric in instances}


def _clean(value: float) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def ragas_row_scores(row: dict[str, Any], reference_contexts: dict[str, str]) -> dict[str, float | None]:
    """The six non-LLM Ragas scores of one answered question (None where not applicable)."""
    from ragas.dataset_schema import SingleTurnSample

    metrics = _metrics()
    scores: dict[str, float | None] = dict.fromkeys(RAGAS_METRICS)
    passages = row["passages"]
    gold = [d for d in row["gold_doc_ids"]]
    if row["answerable"] and gold and passages and not row.get("error"):
        sample = SingleTurnSample(
            user_input=row["question"],
            retrieved_contexts=[p["text"] for p in passages],
            reference_contexts=[reference_contexts[d] for d in gold if d in reference_contexts] or None,
            retrieved_context_ids=list(dict.fromkeys(str(p["doc_id"]) for p in passages)),
            reference_context_ids=gold,
        )
        for name in CONTEXT_METRICS:
            if name.startswith("non_llm") and not sample.reference_contexts:
                continue
            scores[name] = _clean(metrics[name].single_turn_score(sample))
    reference, answer = row["reference"], row["answer"]
    if row["answerable"] and not row["refused"] and reference.strip() and answer.strip():
        sample = SingleTurnSample(user_input=row["question"], response=answer, reference=reference)
        scores["non_llm_string_similarity"] = _clean(
            metrics["non_llm_string_similarity"].single_turn_score(sample)
        )
        if not has_cjk(reference):
            scores["rouge_score"] = _clean(metrics["rouge_score"].single_turn_score(sample))
    return scores
