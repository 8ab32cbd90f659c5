"""One version of a knowledge base as retrieval sees it: its chunk catalog and BM25 index.

Versions (ingest.versions): a search reads one version's manifest, the published one unless the
caller names another (the draft for owners' hit testing and eval, or a number). A version never
changes once recorded, so a snapshot is keyed by a cheap fingerprint read from SQL on every
retrieval (knowledge base id and creation time, version number, its row id and creation time):
publish, rollback or a new draft changes it. Staged chunks of a run still in progress are in no
version yet, so no search sees them. Snapshots are found in this order:
  memory  a few per knowledge base per process (published and draft are both in use);
  disk    settings.bm25_dir(kb id)/v<version>/ (bm25s files + catalog.json + meta.json),
          written to a temporary folder and renamed into place, so readers never see half an index;
  SQL     built from the version's manifest when neither matches. Folders of pruned versions are
          removed by prune (ingest.pipeline), not here: an older version may still be published.
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

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.retrieval.bm25 import BM25Index
from assistant.retrieval.catalog import ChunkCatalog, DocumentInfo, document_product, document_tags
from ingest.types import Edition
from assistant.retrieval import packaged_data
from assistant.retrieval.text import TOKENIZER_VERSION, configure_jieba_cache
from assistant.retrieval.titles import TitleVectors, read_title_vectors
from assistant.types import Passage
from ingest.config import Settings
from ingest.db import Database
from ingest.models import Chunk, DocumentRevision, KBVersion, KnowledgeBase, RevisionChunk, VersionDocument
from ingest.registry import KnowledgeBaseNotFound
from ingest.vector_cache import SQLVectorCache
from ingest.versions import VersionNotFound, VersionRef, resolve

# Snapshots kept in memory per knowledge base (published, draft, one more being compared).
SNAPSHOTS_PER_KB = 3


@dataclass(frozen=True)
class Fingerprint:
    kb_id: int
    version: int  # 0: no version (nothing published, or nothing ingested yet): an empty snapshot
    version_row: int  # KBVersion.id: a pruned and re-made version number gets a new row
    version_created: str  # KBVersion.created_at, ISO format
    created: str  # KnowledgeBase.created_at: a purged and re-created KB may reuse the id

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


def read_fingerprint(
    session: Session, kb_name: str, ref: VersionRef = "published"
) -> tuple[Fingerprint, str, int]:
    """(fingerprint, embed model, embed dim) of one version of the named knowledge base."""
    kb = session.execute(
        select(
            KnowledgeBase.id,
            KnowledgeBase.version,
            KnowledgeBase.published_version,
            KnowledgeBase.embed_model,
            KnowledgeBase.embed_dim,
            KnowledgeBase.created_at,
        ).where(KnowledgeBase.name == kb_name)
    ).one_or_none()
    if kb is None:
        raise KnowledgeBaseNotFound(kb_name)
    number = resolve(kb, ref)  # type: ignore[arg-type]  # the row has the attributes resolve reads
    if number is None:
        return Fingerprint(kb.id, 0, 0, "", _iso(kb.created_at)), kb.embed_model, kb.embed_dim
    row = session.execute(
        select(KBVersion.id, KBVersion.created_at, KBVersion.servable).where(
            KBVersion.kb_id == kb.id, KBVersion.version == number
        )
    ).one_or_none()
    if row is None or not row.servable:
        raise VersionNotFound(f"knowledge base {kb_name!r} has no servable version {number}")
    fingerprint = Fingerprint(kb.id, number, row.id, _iso(row.created_at), _iso(kb.created_at))
    return fingerprint, kb.embed_model, kb.embed_dim


def build(session: Session, version_row: int) -> tuple[ChunkCatalog, BM25Index]:
    """The catalog and BM25 index of the chunks one version lists."""
    revisions = select(VersionDocument.revision_id).where(VersionDocument.version_id == version_row)
    documents: list[DocumentInfo] = []
    doc_position: dict[str, int] = {}
    for doc_id, source, extra, title in session.execute(
        select(
            DocumentRevision.doc_id, DocumentRevision.source, DocumentRevision.extra, DocumentRevision.title
        )
        .where(DocumentRevision.id.in_(revisions))
        .order_by(DocumentRevision.doc_id)
    ):
        doc_position[doc_id] = len(documents)
        extra = extra or {}
        documents.append(
            DocumentInfo(
                doc_id,
                source,
                document_tags(extra),
                document_product(extra),
                title or "",
                Edition.from_extra(extra),
            )
        )
    chunk_ids, doc_index, kinds, langs, texts = [], [], [], [], []
    for chunk_id, doc_id, kind, lang, match_text in session.execute(
        select(Chunk.id, Chunk.doc_id, Chunk.kind, Chunk.lang, Chunk.match_text)
        .join(RevisionChunk, RevisionChunk.chunk_id == Chunk.id)
        .where(
            RevisionChunk.revision_id.in_(revisions), Chunk.quarantine_reason.is_(None)
        )  # held back at ingest
        .order_by(Chunk.doc_id, Chunk.ordinal)
    ):
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
        self._memory: dict[tuple[int, int], KBSnapshot] = {}  # (kb id, version), least recent first
        self._locks: dict[int, threading.Lock] = {}
        self._lock = threading.Lock()
        configure_jieba_cache(settings.data_dir / "cache" / "jieba")
        packaged_data.configure_cache(settings.data_dir)

    def get(self, kb_name: str, version: VersionRef = "published") -> KBSnapshot:
        """The snapshot of one version: the published one (what customers get) by default."""
        with self.db.session() as session:
            fingerprint, model, dim = read_fingerprint(session, kb_name, version)
        key = (fingerprint.kb_id, fingerprint.version)
        current = self._memory.get(key)
        if current is not None and current.fingerprint == fingerprint:
            if current.titles.stale:  # titles still being embedded when it was read
                current.titles = self._titles(model, current.catalog)
            return current
        with self._lock:
            kb_lock = self._locks.setdefault(fingerprint.kb_id, threading.Lock())
        with kb_lock:  # one thread builds; the others wait for it and reuse the result
            current = self._memory.get(key)
            if current is not None and current.fingerprint == fingerprint:
                return current
            snapshot = self._load(kb_name, fingerprint, model, dim) or self._build(
                kb_name, fingerprint, model, dim
            )
            self._remember(key, snapshot)
            return snapshot

    def _remember(self, key: tuple[int, int], snapshot: KBSnapshot) -> None:
        with self._lock:
            self._memory.pop(key, None)
            self._memory[key] = snapshot
            same_kb = [k for k in self._memory if k[0] == key[0]]
            for old in same_kb[: max(0, len(same_kb) - SNAPSHOTS_PER_KB)]:
                del self._memory[old]

    def folder(self, kb_id: int, version: int) -> Path:
        return self.settings.bm25_dir(kb_id) / f"v{version}"

    def _load(self, kb_name: str, fingerprint: Fingerprint, model: str, dim: int) -> KBSnapshot | None:
        folder = self.folder(fingerprint.kb_id, fingerprint.version)
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if meta != fingerprint.as_json():
                return None
            catalog = ChunkCatalog.from_json(
                json.loads((folder / "catalog.json").read_text(encoding="utf-8"))
            )
            bm25 = BM25Index.load(folder, len(catalog))
        except (OSError, ValueError, KeyError):
            return None  # missing, stale or damaged: rebuilt from SQL
        return KBSnapshot(
            kb_name,
            fingerprint.kb_id,
            fingerprint.version,
            model,
            dim,
            fingerprint,
            catalog,
            bm25,
            self._titles(model, catalog),
        )

    def _build(self, kb_name: str, fingerprint: Fingerprint, model: str, dim: int) -> KBSnapshot:
        with self.db.session() as session:
            catalog, bm25 = build(session, fingerprint.version_row)
        if fingerprint.version:  # a version never changes: its index can be kept on disk
            self._persist(fingerprint, catalog, bm25)
        titles = self._titles(model, catalog)
        return KBSnapshot(
            kb_name, fingerprint.kb_id, fingerprint.version, model, dim, fingerprint, catalog, bm25, titles
        )

    def _titles(self, model: str, catalog: ChunkCatalog) -> TitleVectors:
        return read_title_vectors(SQLVectorCache(self.db, model), catalog)

    def _persist(self, fingerprint: Fingerprint, catalog: ChunkCatalog, bm25: BM25Index) -> None:
        final = self.folder(fingerprint.kb_id, fingerprint.version)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.parent / f".tmp-{uuid.uuid4().hex}"
        bm25.save(temporary)
        (temporary / "catalog.json").write_text(
            json.dumps(catalog.to_json(), ensure_ascii=False), encoding="utf-8"
        )
        (temporary / "meta.json").write_text(json.dumps(fingerprint.as_json()), encoding="utf-8")
        if final.exists():  # a stale index for this version (built while an ingest was staging)
            stale = final.parent / f".stale-{uuid.uuid4().hex}"
            final.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
        try:
            temporary.rename(final)
        except OSError:  # another process put the same index in place first
            shutil.rmtree(temporary, ignore_errors=True)
