"""Metric arithmetic as plain functions: retrieval ranks, refusal, answer match, citations, latency.

Retrieval is scored on the document ranking: passages (chunks) in retrieval order reduced to their
documents' first occurrence, so a document split into many chunks counts once and scores do not
depend on chunk size. Undefined values (no positives, no data) are None, never 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from eval.text import contains, normalize
from ingest.text import citation_numbers

HIT_KS = (1, 3, 5, 10)


def doc_ranking(passage_doc_ids: Iterable[str]) -> list[str]:
    """Distinct document ids in order of first appearance."""
    return list(dict.fromkeys(passage_doc_ids))


def hit_at_k(ranking: Sequence[str], gold: set[str], k: int) -> float:
    return 1.0 if any(doc in gold for doc in ranking[:k]) else 0.0


def mrr_at_k(ranking: Sequence[str], gold: set[str], k: int = 10) -> float:
    for rank, doc in enumerate(ranking[:k], 1):
        if doc in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranking: Sequence[str], gold: set[str], k: int = 10) -> float:
    """Binary relevance: DCG = sum over relevant ranks r of 1/log2(r + 1), over the ideal DCG."""
    if not gold:
        raise ValueError("nDCG needs at least one gold document")
    dcg = sum(1.0 / math.log2(rank + 1) for rank, doc in enumerate(ranking[:k], 1) if doc in gold)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold), k) + 1))
    return dcg / ideal


def retrieval_scores(ranking: Sequence[str], gold: set[str]) -> dict[str, float]:
    scores = {f"hit@{k}": hit_at_k(ranking, gold, k) for k in HIT_KS}
    scores["mrr@10"] = mrr_at_k(ranking, gold, 10)
    scores["ndcg@10"] = ndcg_at_k(ranking, gold, 10)
    return scores


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


@dataclass(frozen=True)
class RefusalScores:
    """Positive class = should refuse (the question is unanswerable from the knowledge base)."""

    tp: int  # unanswerable and refused
    fp: int  # answerable but refused (a false refusal)
    fn: int  # unanswerable but answered (a made-up answer)
    tn: int  # answerable and answered

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_refusal_rate(self) -> float | None:
        return _ratio(self.fp, self.fp + self.tn)

    @property
    def balanced_accuracy(self) -> float | None:
        """Mean of recall on each class; None unless both classes occur."""
        recall, specificity = self.recall, _ratio(self.tn, self.tn + self.fp)
        if recall is None or specificity is None:
            return None
        return (recall + specificity) / 2


def refusal_scores(should_refuse: Sequence[bool], refused: Sequence[bool]) -> RefusalScores:
    if len(should_refuse) != len(refused):
        raise ValueError("should_refuse and refused differ in length")
    pairs = list(zip(should_refuse, refused, strict=True))
    return RefusalScores(
        tp=sum(s and r for s, r in pairs),
        fp=sum((not s) and r for s, r in pairs),
        fn=sum(s and not r for s, r in pairs),
        tn=sum((not s) and not r for s, r in pairs),
    )


def alias_match(answer: str, groups: Sequence[Sequence[str]]) -> bool | None:
    """AND over groups of OR over aliases: every group has an alias contained in the answer.
    None for free-text references (no groups)."""
    if not groups:
        return None
    return all(any(contains(answer, alias) for alias in group) for group in groups)


def exact_match(answer: str, reference: str) -> bool:
    return normalize(answer) == normalize(reference)


def citation_validity(answer: str, citations: Sequence[int], n_passages: int) -> bool | None:
    """Whether every [n] in the answer (and every declared citation) names a returned passage
    (1-based). None when the answer cites nothing."""
    numbers = citation_numbers(answer) + list(citations)
    if not numbers:
        return None
    return all(1 <= n <= n_passages for n in numbers)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default method)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Iterable[float | bool | None]) -> float | None:
    present = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(present) / len(present) if present else None
