"""Vectors for the answerability judge's semantic evidence: the question's, and those of the
sentences, titles and FAQ questions of the passages it retrieved.

Passage-side texts go through the SQL vector cache (ingest.vector_cache, keyed by embedder and
text hash), so each distinct sentence of a chunk is embedded once, the first time a question
retrieves that chunk, and read back from the cache afterwards by every process. The question's
vector is the one retrieval has just computed for the same text (the embedder's query cache).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ingest.config import Settings
from ingest.db import Database, open_database
from ingest.embedding import Embedder, get_embedder
from ingest.vector_cache import SQLVectorCache


class SentenceVectors:
    def __init__(self, embedder: Embedder, cache: SQLVectorCache | None = None) -> None:
        self.embedder = embedder
        self.cache = cache

    @classmethod
    def from_settings(cls, settings: Settings, database: Database | None = None) -> SentenceVectors:
        embedder = get_embedder(settings)
        return cls(embedder, SQLVectorCache(database or open_database(settings.sql_url), embedder.name))

    def query(self, text: str) -> np.ndarray:
        return self.embedder.embed_query(text)

    def texts(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised vector per text, in order (passage side of the embedder)."""
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        if self.cache is None:
            return self.embedder.embed_passages(list(texts))
        unique = list(dict.fromkeys(texts))
        vectors, _ = self.cache.vectors(unique, self.embedder.embed_passages)
        row = {text: i for i, text in enumerate(unique)}
        return vectors[[row[t] for t in texts]]
