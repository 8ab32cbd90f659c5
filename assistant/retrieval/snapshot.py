"""A knowledge base as retrieval sees it at one moment: its version, chunk catalog and BM25 index.

Consistency with SQL/Chroma: every retrieval reads a cheap fingerprint of the knowledge base from
SQL (version, document count, latest document change, creation time) and uses the snapshot built
for exactly that fingerprint. The version alone is not enough: ingest stages a document's chunks
before it bumps the version, and a crash in between leaves staged chunks under the old version;
the document timestamps catch both. Snapshots are found in this order:
  memory  one per knowledge base per process (the loaded index is reused across calls);
  disk    settings.bm25_dir(kb id)/v<version>/ (bm25s files + catalog.json + meta.json),
          written to a temporary folder and renamed into place, so readers never see half an index;
  SQL     built from the chunk rows when neither matches; older versions on disk are then removed.
Title vectors (titles.py) are read from SQL's vector cache whenever a snapshot is loaded or built,
and again every few seconds while some are missing (ingest embeds titles after the chunks).
"""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.retrieval.bm25 import BM25Index
from assistant.retrieval.catalog import ChunkCatalog, DocumentInfo, document_product, document_tags
from ingest.types import Edition
from assistant.retrieval.text import TOKENIZER_VERSION, configure_jieba_cache
from assistant.retrieval.titles import TitleVectors, read_title_vectors
from assistant.types import Passage
from ingest.config import Settings
from ingest.db import Database
from ingest.models import Chunk, Document, KnowledgeBase
from ingest.registry import KnowledgeBaseNotFound
from ingest.vector_cache import SQLVectorCache

_FINGERPRINT_RETRIES = 3


@dataclass(frozen=True)
class Fingerprint:
    kb_id: int
    version: int
    documents: int
    last_change: str  # latest Document.updated_at, ISO format ("" when empty)
    created: str  # KnowledgeBase.created_at: a dropped and re-created KB may reuse the id

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "tokenizer": TOKENIZER_VERSION}


@dataclass
class KBSnapshot:
    name: str
    kb_id: int
    version: int
    embed_model: str
    embed_dim: int
    fingerprint: Fingerprint
    catalog: ChunkCatalog
    bm25: BM25Index
    titles: TitleVectors
    # chunk id -> its Passage as read from SQL, filled as passages are read (retriever.py); the
    # retriever hands out copies
    passages: dict[str, Passage] = field(default_factory=dict)


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def read_fingerprint(session: Session, kb_name: str) -> tuple[Fingerprint, str, int]:
    """(fingerprint, embed model, embed dim) of the named knowledge base."""
    row = session.execute(
        select(
            KnowledgeBase.id,
            KnowledgeBase.version,
            KnowledgeBase.embed_model,
            KnowledgeBase.embed_dim,
            KnowledgeBase.created_at,
            func.count(Document.id),
            func.max(Document.updated_at),
        )
        .outerjoin(Document, Document.kb_id == KnowledgeBase.id)
        .where(KnowledgeBase.name == kb_name)
        .group_by(KnowledgeBase.id)
    ).one_or_none()
    if row is None:
        raise KnowledgeBaseNotFound(kb_name)
    kb_id, version, model, dim, created, documents, last_change = row
    return Fingerprint(kb_id, version, documents, _iso(last_change), _iso(created)), model, dim


def build(session: Session, kb_id: int) -> tuple[ChunkCatalog, BM25Index]:
    documents: list[DocumentInfo] = []
    doc_position: dict[str, int] = {}
    for doc_id, source, extra, title in session.execute(
        select(Document.id, Document.source, Document.extra, Document.title)
        .where(Document.kb_id == kb_id)
        .order_by(Document.id)
    ):
        doc_position[doc_id] = len(documents)
        extra = extra or {}
        documents.append(
            DocumentInfo(
                doc_id, source, document_tags(extra), document_product(extra), title or "", Edition.from_extra(extra)
            )
        )
    chunk_ids, doc_index, kinds, langs, texts = [], [], [], [], []
    for chunk_id, doc_id, kind, lang, match_text in session.execute(
        select(Chunk.id, Chunk.doc_id, Chunk.kind, Chunk.lang, Chunk.match_text)
        .where(Chunk.kb_id == kb_id, Chunk.quarantine_reason.is_(None))  # held back at ingest
        .order_by(Chunk.doc_id, Chunk.ordinal)
    ):
        if doc_id not in doc_position:  # a document added between the two reads
            continue
        chunk_ids.append(chunk_id)
        doc_index.append(doc_position[doc_id])
        kinds.append(kind)
        langs.append(lang)
        texts.append(match_text)  # title and headings are in it (ingest.chunking)
    return ChunkCatalog(chunk_ids, doc_index, kinds, langs, documents), BM25Index.build(texts)


class SnapshotStore:
    """The current snapshot of each knowledge base in one database (see module docstring)."""

    def __init__(self, settings: Settings, database: Database) -> None:
        self.settings = settings
        self.db = database
        self._memory: dict[int, KBSnapshot] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._lock = threading.Lock()
        configure_jieba_cache(settings.data_dir / "cache" / "jieba")

    def get(self, kb_name: str) -> KBSnapshot:
        with self.db.session() as session:
            fingerprint, model, dim = read_fingerprint(session, kb_name)
        current = self._memory.get(fingerprint.kb_id)
        if current is not None and current.fingerprint == fingerprint:
            if current.titles.stale:  # titles still being embedded when it was read
                current.titles = self._titles(model, current.catalog)
            return current
        with self._lock:
            kb_lock = self._locks.setdefault(fingerprint.kb_id, threading.Lock())
        with kb_lock:  # one thread builds; the others wait for it and reuse the result
            current = self._memory.get(fingerprint.kb_id)
            if current is not None and current.fingerprint == fingerprint:
                return current
            snapshot = self._load(kb_name, fingerprint, model, dim) or self._build(kb_name)
            self._memory[snapshot.kb_id] = snapshot
            return snapshot

    def folder(self, kb_id: int, version: int) -> Path:
        return self.settings.bm25_dir(kb_id) / f"v{version}"

    def _load(self, kb_name: str, fingerprint: Fingerprint, model: str, dim: int) -> KBSnapshot | None:
        folder = self.folder(fingerprint.kb_id, fingerprint.version)
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if meta != fingerprint.as_json():
                return None
            catalog = ChunkCatalog.from_json(json.loads((folder / "catalog.json").read_text(encoding="utf-8")))
            bm25 = BM25Index.load(folder, len(catalog))
        except (OSError, ValueError, KeyError):
            return None  # missing, stale or damaged: rebuilt from SQL
        return KBSnapshot(
            kb_name, fingerprint.kb_id, fingerprint.version, model, dim, fingerprint, catalog, bm25,
            self._titles(model, catalog),
        )

    def _build(self, kb_name: str) -> KBSnapshot:
        # Re-read the fingerprint after reading the chunks: an ingest that committed in between
        # would otherwise be persisted under the older fingerprint.
        for _ in range(_FINGERPRINT_RETRIES):
            with self.db.session() as session:
                before, model, dim = read_fingerprint(session, kb_name)
                catalog, bm25 = build(session, before.kb_id)
                after, _, _ = read_fingerprint(session, kb_name)
            if before == after:
                self._persist(after, catalog, bm25)
                break
        # else ingest keeps committing: serve what was read, without persisting it.
        titles = self._titles(model, catalog)
        return KBSnapshot(kb_name, after.kb_id, after.version, model, dim, after, catalog, bm25, titles)

    def _titles(self, model: str, catalog: ChunkCatalog) -> TitleVectors:
        return read_title_vectors(SQLVectorCache(self.db, model), catalog)

    def _persist(self, fingerprint: Fingerprint, catalog: ChunkCatalog, bm25: BM25Index) -> None:
        final = self.folder(fingerprint.kb_id, fingerprint.version)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.parent / f".tmp-{uuid.uuid4().hex}"
        bm25.save(temporary)
        (temporary / "catalog.json").write_text(json.dumps(catalog.to_json(), ensure_ascii=False), encoding="utf-8")
        (temporary / "meta.json").write_text(json.dumps(fingerprint.as_json()), encoding="utf-8")
        if final.exists():  # a stale index for this version (built while an ingest was staging)
            stale = final.parent / f".stale-{uuid.uuid4().hex}"
            final.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
        try:
            temporary.rename(final)
        except OSError:  # another process put the same index in place first
            shutil.rmtree(temporary, ignore_errors=True)
        for older in final.parent.glob("v*"):
            if older.name[1:].isdigit() and int(older.name[1:]) < fingerprint.version:
                shutil.rmtree(older, ignore_errors=True)
