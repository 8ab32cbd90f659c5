"""Fusion of the per-retriever rankings, the per-document collapse, the FAQ boost, and the
optional reranker.

Measured with `python -m eval.bench_retrieval --tune-fusion` (hit@5 on all answerable questions
of cmrc2018 / covid_faq / or_sharc, counted on distinct documents; BM25 alone 0.999 / 0.717 /
0.968, dense alone 0.989 / 0.883 / 0.956; or_sharc queries carry their clarifying exchanges,
see assistant/condense.py). Without the title list:
  rrf, equal weights, k=60          0.998 / 0.833 / 0.975   far below dense on covid_faq
                                                            (paraphrases: BM25's ranks are noise
                                                            there but count as much as dense's)
  rrf, w_bm25=0.3, k=20             0.993 / 0.904 / 0.970   the best rank fusion on average
  score, dense from its floor to
    cosine 1, w_bm25=0.5            0.998 / 0.917 / 0.970   the previous default; w=1.25-2.0
                                                            reach BM25 on cmrc2018 but drop
                                                            covid_faq to 0.867
With the title list (titles.py: unique titles only, scaled from cosine 0.85 to 1):
  w_bm25 1.25, w_title 1.0          0.999 / 0.954 / 0.976   chosen: at or above the best single
                                                            retriever on every set (cmrc2018
                                                            2,647 of 2,649 = BM25), MRR@10
                                                            0.994 / 0.803 / 0.915
  w_bm25 1.0-1.5, w_title 0.75-1.25 mean 0.974-0.978        a plateau; below w_bm25 1.25
                                                            cmrc2018 falls 1-3 questions short
  w_bm25 0.5, w_title 1.0 (all
    titles, floor = list's lowest)  0.996 / 0.963 / 0.952   shared titles crowd or_sharc
The title list lets BM25 weigh more: a paraphrase that BM25 misses is caught by its title, so
covid_faq no longer needs BM25 held down, and copied questions (cmrc2018) keep BM25's lead.

No fixed rank weight suits both kinds of question: a copied question wants BM25, a paraphrase
wants dense. Scaling each list between fixed bounds instead of its own best and worst makes the
weight adapt per query: BM25 is divided by its ceiling (the score of a passage holding every
query term), so a near-complete lexical match outweighs the dense ranking and a one-word overlap
barely moves it; dense cosines run from the list's lowest up to 1, so the best match of a vague
question (cosine 0.86) no longer counts as fully as a real paraphrase (0.95) does. Keeping a
retriever's own top documents within the first positions regardless of fusion (a rank cap) was
tried and hurt covid_faq (0.887 at best): BM25's top hits are noise on paraphrases.

On the bilingual help centres (eval/helpcentres, tune half, `python -m eval.bench_answers --split
tune --retrieval-only`), these weights put the hybrid below dense alone (carrier .865 vs .892,
shop .838 vs .865): for a Chinese question whose answer is an English page, BM25 can only rank
Chinese chunks and dense ranked any Chinese chunk above the English answer, so fusion favoured the
wrong language. Re-weighting does not cure that (w_bm25 0.5 only ties dense; 1.0-2.0 fall below
it on carrier and shop), nor does scaling BM25 by its best hit's share of the query's IDF
(coverage, or coverage squared: saas .861 vs dense .889). What does is calibrating dense across
languages (dense.py): with it, every setting of w_bm25 0.5-2.0 and w_title 0.5-1.0 is at or
above both single retrievers on all three help centres (.973 / 1.0 / .944), and the weights chosen
on the shared sets stand; a one-language set (the three shared sets) is searched as before.
Titles needed the same (titles.py): a Chinese question sits near .87 with every Chinese title, so
in a bilingual help centre each of them got a title score; read by their lead over their
language's background, the tune half's hybrid hit@5 reached dense's on the airline (.920 -> .960)
and kept the others, and its correct answers rose .791 -> .804 (the shared sets, in one language
each, unchanged).

BM25 in translation (crosslingual.py, the "translated" list): the question's words looked up in
CC-CEDICT and scored in the other language's chunks. On the help centres' tune half it lifted the
hybrid's hit@5 on courier .920 -> .960 and airline .920 -> 1.0 (cross-language questions .75 -> 1.0
on both), the others unchanged; on the held-out half courier .955 -> 1.0, airline .864 -> 1.0. But
the answers did not gain: the other language's copy of a page now often sits in the top three,
where the judge reads its words in translation, and the held-out half's correct answers stayed at
.607 while refusal recall fell .786 -> .690 and wrong facts rose .072 -> .085 (tune: .778 both,
.867 -> .844, .013 -> .019). With a page's translation below the page itself dropped (twins.py)
and only the question's key terms looked for in translation, turning it on moved the tune half of
seven help centres little (correct .752 -> .757, false refusals .176 -> .162, refusal recall .885
both, but wrong facts .017 -> .023) while lifting the hybrid's hit@5 to at least both single
retrievers on every centre (airline .920 -> 1.0, below dense's .960 without it); the held-out half
again answered more questions it could not (refusal recall .812 -> .750, wrong facts .092 ->
.100; correct .579 -> .590). A confident wrong answer costs more than a missed page, so its
weight stays 0 (off) by default; KEFU_TRANSLATED_WEIGHT=1.25 (BM25's) turns it on.

Collapse: the benchmark counts documents, so it does not change the figures above; it is for the
answer step, which gets top_k passages: without it, 92% of cmrc2018 questions (paragraphs of
two or three chunks) had a document twice in the fused top 5, 1.7 of the 5 slots on average
(covid_faq 7.5%, or_sharc none). The pairs of one FAQ file collapse too, two at a time
(DEFAULT_FAQ_PAIRS_PER_DOCUMENT): on the help centres, ten near-miss pairs of one sheet and its
translation filled the whole top 10 of "my mobile went missing" and pushed the SIM page out. Adding a document's second-best chunk score to its best one
(document-level aggregation, 0.1-0.5 of it) moved hit@5 by at most one question per set.

FAQ boost: measured on covid_faq ingested as FAQ pairs (match on the question; hit@5 0.933 with
no boost), boosting every FAQ by its Dice overlap with the query hurt (0.912-0.925: it re-imposes
lexical matching on paraphrases); boosting only near-verbatim matches (Dice >= 0.8) by 0.5 left it
unchanged. So only a strong match is boosted: when a customer asks an FAQ's question almost word
for word, its curated answer goes before document text.
"""

from __future__ import annotations

from ingest.errors import Unavailable
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Literal, Protocol

from assistant.retrieval.types import RankedList, ScoredChunk
from assistant.types import Passage

FusionMethod = Literal["rrf", "score"]

DEFAULT_METHOD: FusionMethod = "score"
DEFAULT_WEIGHTS: dict[str, float] = {"bm25": 1.25, "translated": 0.0, "dense": 1.0, "title": 1.0}
DEFAULT_RRF_K = 60.0  # used when KEFU_FUSION_METHOD=rrf
DEFAULT_FAQ_BOOST = 0.5
DEFAULT_CHUNKS_PER_DOCUMENT = 1
DEFAULT_FAQ_PAIRS_PER_DOCUMENT = 2
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
    missing from a list gets 0 there). Each list is scaled from its floor (the lowest score in the
    list when it has none) to its ceiling (the best score in the list when it has none). With a
    ceiling the scores keep their absolute meaning: a passage holding nearly all of a question's
    terms counts fully for BM25, one sharing a word or two barely counts; a cosine near 1 counts
    fully for dense, the best of a vague query's mediocre matches only partly."""
    fused: dict[str, float] = {}
    for ranked in lists:
        if not ranked.hits:
            continue
        weight = weights.get(ranked.retriever, 1.0)
        high = ranked.ceiling if ranked.ceiling else max(h.score for h in ranked.hits)
        low = ranked.floor if ranked.floor is not None else min(h.score for h in ranked.hits)
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


def collapse(ranked: RankedList, unit_of: Mapping[str, object], per_unit: int) -> RankedList:
    """At most per_unit chunks of one unit (a document) among the leading hits: each unit keeps its
    best chunks in place; its further chunks move behind all kept hits, in their order, so a small
    knowledge base still fills top_k. Chunks missing from unit_of are units of their own (FAQ
    pairs: each is an answer of its own). per_unit < 1 leaves the ranking as it is."""
    if per_unit < 1:
        return ranked
    kept: list[ScoredChunk] = []
    later: list[ScoredChunk] = []
    seen: dict[object, int] = {}
    for hit in ranked.hits:
        unit = unit_of.get(hit.chunk_id)
        if unit is None:
            kept.append(hit)
            continue
        seen[unit] = seen.get(unit, 0) + 1
        (kept if seen[unit] <= per_unit else later).append(hit)
    return RankedList(ranked.retriever, kept + later, ranked.ceiling, ranked.floor)


def _sorted(name: str, scores: Mapping[str, float]) -> RankedList:
    # Ties keep insertion order (the first list's order), so results are deterministic.
    ordered = sorted(scores.items(), key=lambda item: -item[1])
    return RankedList(name, [ScoredChunk(chunk_id, score) for chunk_id, score in ordered])


class Reranker(Protocol):
    """Reorders passages by relevance to the query (best first); may drop some."""

    def rerank(self, query: str, passages: list[Passage]) -> list[Passage]: ...


class RerankError(Unavailable, RuntimeError):
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
            scores = replace(passage.scores, rerank=float(result["relevance_score"]))
            reranked.append(replace(passage, scores=scores))
        return reranked
