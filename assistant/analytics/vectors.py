"""Question vectors for clustering: query-prefixed embeddings (question against question), cached
in the SQL vector cache under the embedder's "#query" key, like the knowledge loop's."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ingest.db import Database
from ingest.embedding import Embedder
from ingest.vector_cache import SQLVectorCache

BATCH = 200  # texts embedded and stored per step, so an interrupted run keeps its progress


def query_vectors(
    db: Database,
    embedder: Embedder,
    texts: Sequence[str],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """(one unit vector per text, in order; how many were newly embedded)."""
    cache = SQLVectorCache(db, f"{embedder.name}#query")
    embed_one = getattr(embedder, "embed_query_uncached", embedder.embed_query)

    def embed(batch: Sequence[str]) -> np.ndarray:
        return np.stack([np.asarray(embed_one(t), dtype=np.float32) for t in batch])

    parts, fresh = [], 0
    for start in range(0, len(texts), BATCH):
        vectors, new = cache.vectors(list(texts[start : start + BATCH]), embed)
        parts.append(vectors)
        fresh += new
        if progress is not None:
            progress(min(start + BATCH, len(texts)), len(texts))
    if not parts:
        return np.zeros((0, embedder.dim), dtype=np.float32), 0
    return np.concatenate(parts).astype(np.float32), fresh
