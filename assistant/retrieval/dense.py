"""Dense step: query embedding -> nearest chunk vectors in the knowledge base's Chroma collection,
one search per chunk language, with cosines calibrated across languages.

The multilingual embedder puts any Chinese text nearer a Chinese question than an English text
about the same thing: on the help-centre benchmark's tune half, a Chinese question's best
English chunk had cosine .80-.86 while twenty unrelated Chinese chunks had .84-.89, so the
English page holding the answer was out of the top 5 for most cross-language questions (dense
hit@5 on them .50 / .29 / .83 per help centre). Within each language's own ranking, though, the
answer page was first for 17 of 19 of them: relevance shows as a lead over that language's
background. So each language is searched on its own and its cosines are shifted so that its
background (the median of its 2nd-20th best) sits at the highest background of any language,
normally the question's own: same-language cosines stay as they are, other-language ones are
read as if they were in the question's language. Cross-language hit@5 on the tune half went to
1.0 on each help centre, all answerable questions .892/.865/.889 -> .973/1.0/.944 (dense alone,
carrier/shop/saas). A knowledge base in one language is searched once, as before.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.retrieval.background import background
from assistant.retrieval.snapshot import KBSnapshot
from assistant.retrieval.types import RankedList, RetrievalFilters, ScoredChunk
from ingest.embedding import Embedder, EmbeddingError
from ingest.vectorstore import VectorStore


def chroma_where(
    snapshot: KBSnapshot, filters: RetrievalFilters | None, *, lang: str | None = None
) -> dict[str, Any] | None:
    """The filters (and, when given, one chunk language) as a Chroma metadata filter.
    Document-level ones (ids, sources, tags, products) become one doc_id list resolved through
    the catalog."""
    clauses: list[dict[str, Any]] = [{"lang": lang}] if lang is not None else []
    if filters is None or filters.empty:
        return clauses[0] if clauses else None
    if filters.langs and lang is None:
        clauses.append({"lang": {"$in": list(filters.langs)}})
    if filters.kinds:
        clauses.append({"kind": {"$in": list(filters.kinds)}})
    doc_ids = snapshot.catalog.allowed_doc_ids(filters)
    if doc_ids is not None:
        clauses.append({"doc_id": {"$in": doc_ids}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


# The best cosine similarity there is (the query's own vector). Score fusion measures each
# candidate's cosine from the list's lowest up to this, not up to the list's best: a vague query
# whose best match is mediocre then gets a mediocre dense score, not a full one (fusion.py).
COSINE_CEILING = 1.0


def calibrate(per_language: dict[str, list[ScoredChunk]], top_n: int) -> list[ScoredChunk]:
    """One ranking from per-language rankings: each language's cosines shifted so its background
    meets the highest background (see the module docstring), then the top_n overall."""
    # A language without a background (a handful of chunks) keeps its cosines as they are.
    backgrounds = {lang: background([h.score for h in hits]) for lang, hits in per_language.items()}
    reference = max((b for b in backgrounds.values() if b is not None), default=None)
    merged: list[ScoredChunk] = []
    for lang, hits in per_language.items():
        level = backgrounds[lang]
        shift = reference - level if reference is not None and level is not None else 0.0
        merged.extend(ScoredChunk(h.chunk_id, h.score + shift) for h in hits)
    merged.sort(key=lambda h: -h.score)
    return merged[:top_n]


# How far the dense step asks past top_n for chunks of the searched version (see _search).
MAX_OVERFETCH = 16


class DenseRetriever:
    """Ranks chunks by cosine similarity; hits whose chunk is not in the snapshot are dropped
    (vectors of a just-deleted document, or left by a crashed ingest)."""

    name = "dense"

    def __init__(self, embedder: Embedder, store: VectorStore) -> None:
        self.embedder = embedder
        self.store = store

    def embed(self, query: str, snapshot: KBSnapshot) -> np.ndarray | None:
        """The query's vector, shared with the title step; None when the knowledge base is empty."""
        if self.embedder.name != snapshot.embed_model:
            raise EmbeddingError(
                f"knowledge base {snapshot.name!r} holds {snapshot.embed_model} vectors but the "
                f"configured embedder is {self.embedder.name}"
            )
        if len(snapshot.catalog) == 0:
            return None
        return self.embedder.embed_query(query)

    def run(
        self,
        vector: np.ndarray | None,
        snapshot: KBSnapshot,
        *,
        top_n: int,
        filters: RetrievalFilters | None = None,
    ) -> RankedList:
        allowed = snapshot.catalog.mask(filters)
        if vector is None or (allowed is not None and not allowed.any()):
            return RankedList(self.name, [])  # Chroma rejects an empty "$in" list
        languages = snapshot.catalog.languages(allowed)
        if len(languages) < 2:
            return RankedList(
                self.name,
                self._search(vector, snapshot, top_n, chroma_where(snapshot, filters)),
                ceiling=COSINE_CEILING,
            )
        per_language = {
            lang: self._search(vector, snapshot, top_n, chroma_where(snapshot, filters, lang=lang))
            for lang in languages
        }
        return RankedList(self.name, calibrate(per_language, top_n), ceiling=COSINE_CEILING)

    def _search(
        self, vector: np.ndarray, snapshot: KBSnapshot, top_n: int, where: dict[str, Any] | None
    ) -> list[ScoredChunk]:
        # The collection also holds the vectors of other retained versions' chunks (ingest.versions):
        # when they crowd this version's out of the top, ask again for more.
        asked = top_n
        while True:
            hits = self.store.query(
                snapshot.kb_id, embed_model=snapshot.embed_model, vector=vector, top_k=asked, where=where
            )
            kept = [ScoredChunk(h.chunk_id, h.similarity) for h in hits if h.chunk_id in snapshot.catalog]
            if len(kept) >= top_n or len(hits) < asked or asked >= top_n * MAX_OVERFETCH:
                return kept[:top_n]
            asked *= 2
