"""Dense step: query embedding -> nearest chunk vectors in the knowledge base's Chroma collection."""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.retrieval.snapshot import KBSnapshot
from assistant.retrieval.types import RankedList, RetrievalFilters, ScoredChunk
from ingest.embedding import Embedder, EmbeddingError
from ingest.vectorstore import VectorStore


def chroma_where(snapshot: KBSnapshot, filters: RetrievalFilters | None) -> dict[str, Any] | None:
    """The filters as a Chroma metadata filter. Document-level ones (ids, sources, tags, products)
    become one doc_id list resolved through the catalog."""
    if filters is None or filters.empty:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.langs:
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
# How far the dense step asks past top_n for chunks of the searched version (see run).
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
        # The collection also holds the vectors of other retained versions' chunks (ingest.versions):
        # when they crowd this version's out of the top, ask again for more.
        where = chroma_where(snapshot, filters)
        asked = top_n
        while True:
            hits = self.store.query(snapshot.kb_id, embed_model=snapshot.embed_model, vector=vector, top_k=asked, where=where)
            kept = [ScoredChunk(h.chunk_id, h.similarity) for h in hits if h.chunk_id in snapshot.catalog]
            if len(kept) >= top_n or len(hits) < asked or asked >= top_n * MAX_OVERFETCH:
                break
            asked *= 2
        return RankedList(self.name, kept[:top_n], ceiling=COSINE_CEILING)
