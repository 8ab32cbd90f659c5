"""Passage vectors by (embedder, text hash) in the vector_cache table, so no text is embedded twice:
not across knowledge-base versions, not between chunks and titles that read the same, not by the
benchmark's baseline that embeds the same corpus."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np
from sqlalchemy import select

from ingest.db import Database
from ingest.models import CachedVector
from ingest.registry import text_hash

EmbedPassages = Callable[[Sequence[str]], np.ndarray]


class SQLVectorCache:
    def __init__(self, database: Database, model: str) -> None:
        self.db = database
        self.model = model

    def get(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """The cached vectors among these text hashes (absent ones are left out)."""
        wanted = set(hashes)
        if not wanted:
            return {}
        with self.db.session() as session:
            rows = session.scalars(
                select(CachedVector).where(
                    CachedVector.model == self.model, CachedVector.text_hash.in_(wanted)
                )
            )
            return {row.text_hash: np.frombuffer(row.vector, dtype="<f4") for row in rows}

    def vectors(
        self, texts: Sequence[str], embed: EmbedPassages, hashes: Sequence[str] | None = None
    ) -> tuple[np.ndarray, int]:
        """(one vector per text, in order; how many were newly embedded). Cached vectors are reused;
        the rest are embedded in one call and stored. `hashes` may pass the texts' known hashes."""
        hashes = list(hashes) if hashes is not None else [text_hash(t) for t in texts]
        cached = self.get(hashes)
        missing = {h: t for h, t in zip(hashes, texts, strict=True) if h not in cached}
        if missing:
            fresh = embed(list(missing.values()))
            with self.db.session() as session:
                for digest, vector in zip(missing, fresh, strict=True):
                    vector = np.asarray(vector, dtype="<f4")
                    cached[digest] = vector
                    session.merge(
                        CachedVector(
                            model=self.model, text_hash=digest, dim=len(vector), vector=vector.tobytes()
                        )
                    )
        if not hashes:
            return np.zeros((0, 0), dtype="<f4"), 0
        return np.stack([cached[h] for h in hashes]), len(missing)
