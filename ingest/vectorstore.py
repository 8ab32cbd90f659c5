"""Chroma: one collection per knowledge base, embedded (PersistentClient) or a `chroma run` server.

We always pass our own vectors: Chroma's default embedding function would download a model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from ingest.config import Settings

T = TypeVar("T")


@dataclass
class VectorHit:
    chunk_id: str
    similarity: float  # cosine similarity, 1 = identical direction
    metadata: dict[str, Any]


def collection_name(kb_id: int) -> str:
    return f"kefu_kb_{kb_id}"


class VectorStore:
    """The vectors of every knowledge base, keyed by chunk id."""

    def __init__(self, settings: Settings) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            self.client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or 8000,
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        else:
            settings.chroma_dir.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
        self._collections: dict[int, Any] = {}
        self._lock = threading.Lock()

    def collection(self, kb_id: int, *, embed_model: str, dim: int) -> Any:
        with self._lock:
            if kb_id not in self._collections:
                collection = self.client.get_or_create_collection(
                    collection_name(kb_id),
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embed_model": embed_model, "dim": dim},
                    embedding_function=None,
                )
                stored = collection.metadata or {}
                if stored.get("embed_model") != embed_model or stored.get("dim") != dim:
                    raise ValueError(
                        f"collection {collection.name} holds {stored.get('embed_model')} "
                        f"vectors ({stored.get('dim')}-d), not {embed_model} ({dim}-d)"
                    )
                self._collections[kb_id] = collection
            return self._collections[kb_id]

    def _on_collection(self, kb_id: int, embed_model: str, dim: int, call: Callable[[Any], T]) -> T:
        """call(collection), once more with a fresh handle when the cached one was dropped by
        another store or process (a deleted knowledge base whose id a new one reuses)."""
        from chromadb.errors import NotFoundError

        try:
            return call(self.collection(kb_id, embed_model=embed_model, dim=dim))
        except NotFoundError:
            with self._lock:
                self._collections.pop(kb_id, None)
            return call(self.collection(kb_id, embed_model=embed_model, dim=dim))

    def upsert(
        self,
        kb_id: int,
        *,
        embed_model: str,
        ids: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict[str, Any]],
        documents: Sequence[str],
    ) -> None:
        if not ids:
            return
        self._on_collection(
            kb_id,
            embed_model,
            int(vectors.shape[1]),
            lambda collection: collection.upsert(
                ids=list(ids),
                embeddings=vectors.astype(np.float32),
                metadatas=[_chroma_metadata(m) for m in metadatas],
                documents=list(documents),
            ),
        )

    def delete(self, kb_id: int, *, embed_model: str, dim: int, ids: Sequence[str]) -> None:
        if ids:
            self._on_collection(kb_id, embed_model, dim, lambda collection: collection.delete(ids=list(ids)))

    def ids(self, kb_id: int, *, embed_model: str, dim: int) -> set[str]:
        return self._on_collection(
            kb_id, embed_model, dim, lambda collection: set(collection.get(include=[])["ids"])
        )

    def count(self, kb_id: int, *, embed_model: str, dim: int) -> int:
        return self._on_collection(kb_id, embed_model, dim, lambda collection: int(collection.count()))

    def query(
        self,
        kb_id: int,
        *,
        embed_model: str,
        vector: np.ndarray,
        top_k: int,
        where: dict[str, Any] | None = None,
        with_metadata: bool = False,
    ) -> list[VectorHit]:
        """Nearest chunks. Per search this is the hot path, so it asks Chroma for ids and distances
        only (reading metadata back cost ~1.8 ms of CPU per query at top 50) and does not call
        count() first (~0.5 ms, holding the GIL): an empty collection simply returns no hits."""
        result = self._on_collection(
            kb_id,
            embed_model,
            int(vector.shape[-1]),
            lambda collection: collection.query(
                query_embeddings=[vector.astype(np.float32)],
                n_results=top_k,
                where=where or None,
                include=["metadatas", "distances"] if with_metadata else ["distances"],
            ),
        )
        ids, distances = result["ids"][0], result["distances"][0]
        metadatas = result["metadatas"][0] if with_metadata else [None] * len(ids)
        return [
            VectorHit(chunk_id=cid, similarity=1.0 - float(dist), metadata=dict(meta or {}))
            for cid, dist, meta in zip(ids, distances, metadatas, strict=True)
        ]

    def drop(self, kb_id: int) -> None:
        with self._lock:
            self._collections.pop(kb_id, None)
            name = collection_name(kb_id)
            if name in {c.name for c in self.client.list_collections()}:
                self.client.delete_collection(name)


def _chroma_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata values must be scalars; drop None and join lists."""
    clean: dict[str, Any] = {}
    for key, value in metadata.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            value = " > ".join(str(v) for v in value)
        clean[key] = value
    return clean
