"""The chunk catalog of one knowledge-base version: which chunk ids exist, in BM25 row order, with
the metadata filters need. Text is not kept here (it stays in SQL and is read for the few passages
returned), so the catalog stays small next to the BM25 index it is persisted with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.retrieval.types import RetrievalFilters
from ingest.types import Edition


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    source: str
    tags: frozenset[str]
    product: str | None
    title: str = ""
    edition: Edition | None = None  # Document.extra["edition"] (ingest.parsing.edition)


def document_tags(extra: dict[str, Any]) -> frozenset[str]:
    """Document.extra["tags"] as a set: a list of strings or one comma-separated string."""
    raw = extra.get("tags") or []
    if isinstance(raw, str):
        raw = raw.split(",")
    return frozenset(str(tag).strip() for tag in raw if str(tag).strip())


def document_product(extra: dict[str, Any]) -> str | None:
    product = extra.get("product")
    return str(product) if product not in (None, "") else None


class ChunkCatalog:
    def __init__(
        self,
        chunk_ids: list[str],
        doc_index: list[int],
        kinds: list[str],
        langs: list[str],
        documents: list[DocumentInfo],
    ) -> None:
        if not len(chunk_ids) == len(doc_index) == len(kinds) == len(langs):
            raise ValueError("catalog columns differ in length")
        self.chunk_ids = chunk_ids
        self.doc_index = np.asarray(doc_index, dtype=np.int64)
        self.kinds = np.asarray(kinds, dtype=object)
        self.langs = np.asarray(langs, dtype=object)
        self.documents = documents
        self.position = {chunk_id: i for i, chunk_id in enumerate(chunk_ids)}
        self._chunks_of: list[np.ndarray] | None = None
        self._languages: list[str] | None = None

    def chunks_of(self, document: int) -> np.ndarray:
        """The catalog rows of one document's chunks, in order."""
        if self._chunks_of is None:
            order = np.argsort(self.doc_index, kind="stable")
            bounds = np.searchsorted(self.doc_index[order], np.arange(len(self.documents) + 1))
            self._chunks_of = [order[bounds[i] : bounds[i + 1]] for i in range(len(self.documents))]
        return self._chunks_of[document]

    def languages(self, mask: np.ndarray | None = None) -> list[str]:
        """The chunk languages present (among the rows the mask allows), sorted."""
        if mask is None:
            if self._languages is None:
                self._languages = sorted(set(self.langs.tolist()))
            return self._languages
        return sorted(set(self.langs[mask].tolist()))

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self.position

    def document_mask(self, filters: RetrievalFilters) -> np.ndarray | None:
        """Per document: does it pass the document-level filters (None: no such filter set)."""
        if not (filters.doc_ids or filters.sources or filters.tags or filters.products):
            return None
        keep = np.ones(len(self.documents), dtype=bool)
        checks = [
            (filters.doc_ids, lambda d, wanted: d.doc_id in wanted),
            (filters.sources, lambda d, wanted: d.source in wanted),
            (filters.tags, lambda d, wanted: not d.tags.isdisjoint(wanted)),
            (filters.products, lambda d, wanted: d.product in wanted),
        ]
        for values, matches in checks:
            if values:
                wanted = set(values)
                keep &= np.fromiter((matches(d, wanted) for d in self.documents), bool, len(self.documents))
        return keep

    def mask(self, filters: RetrievalFilters | None) -> np.ndarray | None:
        """Per chunk (BM25 row order): may it be retrieved (None: everything may)."""
        if filters is None or filters.empty:
            return None
        keep = np.ones(len(self.chunk_ids), dtype=bool)
        if filters.langs:
            keep &= np.isin(self.langs, list(filters.langs))
        if filters.kinds:
            keep &= np.isin(self.kinds, list(filters.kinds))
        documents = self.document_mask(filters)
        if documents is not None:
            keep &= documents[self.doc_index]
        return keep

    def allowed_doc_ids(self, filters: RetrievalFilters) -> list[str] | None:
        documents = self.document_mask(filters)
        if documents is None:
            return None
        return [d.doc_id for d, keep in zip(self.documents, documents, strict=True) if keep]

    def to_json(self) -> dict[str, Any]:
        return {
            "chunk_ids": self.chunk_ids,
            "doc_index": self.doc_index.tolist(),
            "kinds": self.kinds.tolist(),
            "langs": self.langs.tolist(),
            "documents": [
                {
                    "doc_id": d.doc_id,
                    "source": d.source,
                    "tags": sorted(d.tags),
                    "product": d.product,
                    "title": d.title,
                    "edition": d.edition.to_extra() if d.edition else None,
                }
                for d in self.documents
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChunkCatalog:
        documents = [
            DocumentInfo(
                d["doc_id"],
                d["source"],
                frozenset(d["tags"]),
                d["product"],
                d["title"],
                Edition.from_extra(d),
            )
            for d in data["documents"]
        ]
        return cls(data["chunk_ids"], data["doc_index"], data["kinds"], data["langs"], documents)
