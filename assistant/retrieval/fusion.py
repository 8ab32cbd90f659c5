"""Fusion of the per-retriever rankings, the FAQ boost, and the optional reranker.

Measured with eval/bench_retrieval.py (hit@5 on answerable questions; covid_faq all 240,
or_sharc 700 and cmrc2018 900 sampled with seed 0; BM25 alone 0.742 / 0.893 / 0.999, dense alone
0.879 / 0.906 / 0.990):
  rrf, equal weights, k=60       0.854 / 0.933 / 0.999   below dense on covid_faq (paraphrases:
                                                         BM25's ranks are noise there but count
                                                         as much as dense's)
  rrf, w_bm25=0.3, k=20          0.892 / 0.929 / 0.992   better on covid_faq, now below BM25 on
                                                         cmrc2018 (questions copy the passage)
  score, min-max both, w=0.3     0.904 / 0.933 / 0.993
  score, BM25 / ceiling, w=1.75  0.904 / 0.931 / 0.997   chosen: the best mean, and the only one
                                                         above dense everywhere and within noise
                                                         of BM25 on cmrc2018 (plateau 1.5-2.0)
No fixed rank weight suits both kinds of question: a copied question wants BM25, a paraphrase
wants dense. Dividing BM25 by its ceiling (the score of a passage holding every query term) makes
the weight adapt per query: a near-complete lexical match outweighs the dense ranking, a one-word
overlap barely moves it.

FAQ boost: measured on covid_faq ingested as FAQ pairs (match on the question; hit@5 0.933 with
no boost), boosting every FAQ by its Dice overlap with the query hurt (0.912-0.925: it re-imposes
lexical matching on paraphrases); boosting only near-verbatim matches (Dice >= 0.8) by 0.5 left it
unchanged. So only a strong match is boosted: when a customer asks an FAQ's question almost word
for word, its curated answer goes before document text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

from assistant.retrieval.types import RankedList, ScoredChunk
from assistant.types import Passage

FusionMethod = Literal["rrf", "score"]

DEFAULT_METHOD: FusionMethod = "score"
DEFAULT_WEIGHTS: dict[str, float] = {"bm25": 1.75, "dense": 1.0}
DEFAULT_RRF_K = 60.0  # used when KEFU_FUSION_METHOD=rrf
DEFAULT_FAQ_BOOST = 0.5
FAQ_STRONG_MATCH = 0.8  # Dice overlap from which an FAQ question counts as asked (see above)


def weighted_rrf(lists: Sequence[RankedList], weights: Mapping[str, float], k: float) -> RankedList:
    """score(chunk) = sum over lists of weight(list) / (k + rank in list)."""
    fused: dict[str, float] = {}
    for ranked in lists:
        weight = weights.get(ranked.retriever, 1.0)
        for rank, hit in enumerate(ranked.hits, 1):
            fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + weight / (k + rank)
    return _sorted("fused", fused)


def score_fusion(lists: Sequence[RankedList], weights: Mapping[str, float]) -> RankedList:
    """score(chunk) = sum over lists of weight(list) * normalised score in that list (a chunk
    missing from a list gets 0 there). A list with a ceiling (BM25) is divided by it, so its
    scores keep their absolute meaning: a question whose terms a passage nearly all contains
    counts fully, a paraphrase that shares a word or two barely counts. A list without one
    (dense cosine, which E5 squeezes into a narrow band) is min-max scaled within the list."""
    fused: dict[str, float] = {}
    for ranked in lists:
        if not ranked.hits:
            continue
        weight = weights.get(ranked.retriever, 1.0)
        if ranked.ceiling:
            high, low = ranked.ceiling, 0.0
        else:
            high, low = max(h.score for h in ranked.hits), min(h.score for h in ranked.hits)
        spread = high - low
        for hit in ranked.hits:
            normalised = (hit.score - low) / spread if spread > 0 else 1.0
            fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + weight * normalised
    return _sorted("fused", fused)


def fuse(
    lists: Sequence[RankedList], method: FusionMethod, weights: Mapping[str, float], rrf_k: float
) -> RankedList:
    if method == "rrf":
        return weighted_rrf(lists, weights, rrf_k)
    if method == "score":
        return score_fusion(lists, weights)
    raise ValueError(f"unknown fusion method {method!r}; use 'rrf' or 'score'")


def boost(
    ranked: RankedList, strengths: Mapping[str, float], factor: float, threshold: float = FAQ_STRONG_MATCH
) -> RankedList:
    """Multiply the score of each chunk whose strength reaches the threshold by (1 + factor *
    strength); the others keep theirs."""
    strong = {chunk_id: s for chunk_id, s in strengths.items() if s >= threshold}
    if factor == 0 or not strong:
        return ranked
    scores = {h.chunk_id: h.score * (1.0 + factor * strong.get(h.chunk_id, 0.0)) for h in ranked.hits}
    return _sorted(ranked.retriever, scores)


def _sorted(name: str, scores: Mapping[str, float]) -> RankedList:
    # Ties keep insertion order (the first list's order), so results are deterministic.
    ordered = sorted(scores.items(), key=lambda item: -item[1])
    return RankedList(name, [ScoredChunk(chunk_id, score) for chunk_id, score in ordered])


class Reranker(Protocol):
    """Reorders passages by relevance to the query (best first); may drop some."""

    def rerank(self, query: str, passages: list[Passage]) -> list[Passage]: ...


class RerankError(RuntimeError):
    pass


class LiteLLMReranker:
    """A hosted or self-served rerank model called through `litellm.rerank` (Cohere, Jina, Voyage,
    Together, Infinity, vLLM, ...). Each passage gets scores["rerank"] = the model's relevance score."""

    def __init__(
        self, model: str, *, api_base: str | None = None, api_key: str | None = None, timeout_s: float = 10.0
    ) -> None:
        self.model = model
        self.api_base = api_base
        self.api_key = api_key
        self.timeout_s = timeout_s

    def rerank(self, query: str, passages: list[Passage]) -> list[Passage]:
        if not passages:
            return []
        import litellm

        litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banner in our logs
        try:
            response = litellm.rerank(
                model=self.model,
                query=query,
                documents=[p.text for p in passages],
                top_n=len(passages),
                return_documents=False,
                api_base=self.api_base,
                api_key=self.api_key,
                timeout=self.timeout_s,
            )
        except Exception as exc:  # litellm raises provider-specific types
            raise RerankError(f"rerank call to {self.model} failed: {exc}") from exc
        reranked: list[Passage] = []
        for result in response.results or []:
            passage = passages[result["index"]]
            passage.scores["rerank"] = float(result["relevance_score"])
            passage.score = passage.scores["rerank"]
            reranked.append(passage)
        return reranked
