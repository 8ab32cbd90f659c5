"""The ingest pipeline: files -> parse -> chunk -> registry (SQL) -> embed -> Chroma.

Two phases, so a large upload is searchable lexically before its vectors exist and a crash at any
point is repaired by the next run:
  stage   per document, one SQL transaction: the document row and all its chunk rows
          (embedded = false) replace the previous version. Chunk ids are derived from
          (document, position, text), so re-running produces the same ids, never duplicates.
  embed   pending chunks in batches: vectors come from the cache by text hash or the embedder,
          go to Chroma (upsert), then the chunks are marked embedded. Before that, vectors in
          Chroma whose chunk no longer exists in SQL (left by a crash) are deleted. Last, each
          document title gets a vector in the cache (read by retrieval's title step).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from sqlalchemy import delete, select

from ingest.chunking import chunk_document
from ingest.config import Settings
from ingest.db import Database, open_database
from ingest.embedding import Embedder, get_embedder
from ingest.models import Chunk, Document, KnowledgeBase
from ingest.parsing import SUPPORTED_EXTENSIONS, parse_file
from ingest.registry import (
    bump_version,
    chunk_id,
    document_id,
    get_kb,
    get_or_create_kb,
    list_documents,
    text_hash,
)
from ingest.types import IngestError, ParsedDocument
from ingest.vector_cache import SQLVectorCache
from ingest.vectorstore import VectorStore

Outcome = Literal["added", "changed", "unchanged", "removed", "failed"]
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class FileResult:
    source: str
    outcome: Outcome
    chunks: int = 0
    reason: str = ""


@dataclass
class IngestReport:
    kb: str
    version: int = 0
    files: list[FileResult] = field(default_factory=list)
    embedded: int = 0  # vectors computed by the embedder in this run
    reused: int = 0  # vectors taken from the cache
    pending: int = 0  # chunks still without a vector (embedding skipped or interrupted)
    seconds: float = 0.0

    def count(self, outcome: Outcome) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def chunks(self) -> int:
        return sum(f.chunks for f in self.files if f.outcome in ("added", "changed"))

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.outcome == "failed"]


def _noop(stage: str, done: int, total: int) -> None:
    pass


def iter_files(paths: Iterable[Path]) -> Iterable[tuple[Path, str]]:
    """(file, source) pairs: a file given directly is known by its name, a file found under a
    given folder by its path relative to that folder, so sources do not depend on where the
    knowledge base was checked out."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                relative = file.relative_to(path)
                if file.is_file() and not any(p.startswith((".", "_")) for p in relative.parts):
                    yield file, relative.as_posix()
        else:
            yield path, path.name


class IngestPipeline:
    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        store: VectorStore | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self.db = database or open_database(settings.sql_url)
        self.store = store or VectorStore(settings)
        self.embedder = embedder or get_embedder(settings)
        self.vector_cache = SQLVectorCache(self.db, self.embedder.name)

    # -- public operations -------------------------------------------------------------------

    def ingest_paths(
        self,
        paths: Sequence[Path],
        kb: str,
        *,
        delete_missing: bool = False,
        embed: bool = True,
        progress: Progress = _noop,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport(kb=kb)
        kb_id = self._kb_id(kb)
        files = list(iter_files(paths))
        for done, (file, source) in enumerate(files, 1):
            report.files.append(self._ingest_file(kb_id, file, source))
            progress("parse", done, len(files))
        if delete_missing:
            seen = {source for _, source in files}
            report.files.extend(self._remove_missing(kb_id, seen))
        return self._finish(kb_id, report, embed=embed, progress=progress, started=started)

    def ingest_documents(
        self,
        documents: Sequence[ParsedDocument],
        kb: str,
        *,
        embed: bool = True,
        progress: Progress = _noop,
    ) -> IngestReport:
        """Documents that arrive already parsed: data-set corpora, accepted FAQ answers."""
        started = time.perf_counter()
        report = IngestReport(kb=kb)
        kb_id = self._kb_id(kb)
        for done, doc in enumerate(documents, 1):
            digest = hashlib.sha256(repr((doc.title, doc.sections)).encode()).hexdigest()
            report.files.append(self._stage(kb_id, doc, digest, size=0))
            progress("parse", done, len(documents))
        return self._finish(kb_id, report, embed=embed, progress=progress, started=started)

    def remove_document(self, kb: str, source: str) -> bool:
        with self.db.session() as session:
            kb_row = get_kb(session, kb)
            doc = session.get(Document, document_id(kb_row.id, source))
            if doc is None:
                return False
            chunk_ids = [c.id for c in doc.chunks]
            session.delete(doc)
            bump_version(session, kb_row, added=0, changed=0, removed=1)
            model, dim = kb_row.embed_model, kb_row.embed_dim
            kb_id = kb_row.id
        self.store.delete(kb_id, embed_model=model, dim=dim, ids=chunk_ids)
        return True

    def drop(self, kb: str) -> None:
        with self.db.session() as session:
            kb_row = get_kb(session, kb)
            kb_id = kb_row.id
            session.delete(kb_row)
        self.store.drop(kb_id)

    def embed_pending(self, kb: str, *, progress: Progress = _noop) -> IngestReport:
        report = IngestReport(kb=kb)
        with self.db.session() as session:
            kb_id = get_kb(session, kb).id
        return self._finish(kb_id, report, embed=True, progress=progress, started=time.perf_counter())

    # -- steps -------------------------------------------------------------------------------

    def _kb_id(self, kb: str) -> int:
        with self.db.session() as session:
            return get_or_create_kb(
                session, kb, embed_model=self.embedder.name, embed_dim=self.embedder.dim
            ).id

    def _ingest_file(self, kb_id: int, file: Path, source: str) -> FileResult:
        try:
            if file.suffix.lower() not in SUPPORTED_EXTENSIONS:
                raise IngestError(
                    f"unsupported file type {file.suffix or '(none)'!r}; supported: "
                    + " ".join(sorted(SUPPORTED_EXTENSIONS))
                )
            size = file.stat().st_size
            if size > self.settings.max_file_bytes:
                raise IngestError(
                    f"file is {size / 1e6:.1f} MB, over the {self.settings.max_file_mb:g} MB limit"
                )
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
            if self._unchanged(kb_id, source, digest):
                return FileResult(source, "unchanged")
            parsed = parse_file(file, max_bytes=self.settings.max_file_bytes)
            parsed.source = source
        except IngestError as exc:
            return self._failed(kb_id, source, str(exc))
        except OSError as exc:
            return self._failed(kb_id, source, f"cannot read file: {exc.strerror or exc}")
        return self._stage(kb_id, parsed, digest, size=size)

    def _unchanged(self, kb_id: int, source: str, digest: str) -> bool:
        """The stored version has this content. Then the error a failed newer file left on the
        document no longer applies (the good file is back) and is cleared."""
        with self.db.session() as session:
            doc = session.get(Document, document_id(kb_id, source))
            if doc is None or doc.content_hash != digest:
                return False
            doc.last_error = None
            return True

    def _failed(self, kb_id: int, source: str, reason: str) -> FileResult:
        # A bad new version of a known document keeps the old chunks; the error is recorded on it.
        with self.db.session() as session:
            doc = session.get(Document, document_id(kb_id, source))
            if doc is not None:
                doc.last_error = reason
        return FileResult(source, "failed", reason=reason)

    def _stage(self, kb_id: int, parsed: ParsedDocument, digest: str, *, size: int) -> FileResult:
        doc_id = document_id(kb_id, parsed.source)
        if self._unchanged(kb_id, parsed.source, digest):
            return FileResult(parsed.source, "unchanged")
        drafts = chunk_document(
            parsed,
            chunk_tokens=self.settings.chunk_tokens,
            overlap_tokens=self.settings.chunk_overlap_tokens,
        )
        if not drafts:
            return self._failed(kb_id, parsed.source, "no text found in the document")
        with self.db.session() as session:
            doc = session.get(Document, doc_id)
            if doc is not None and doc.content_hash == digest:
                return FileResult(parsed.source, "unchanged")
            outcome: Outcome = "added" if doc is None else "changed"
            if doc is None:
                doc = Document(id=doc_id, kb_id=kb_id, source=parsed.source)
                session.add(doc)
            else:
                session.execute(delete(Chunk).where(Chunk.doc_id == doc_id))
            doc.title = parsed.title[:512]
            doc.url = parsed.url
            doc.file_type = parsed.file_type
            doc.lang = parsed.lang
            doc.content_hash = digest
            doc.size_bytes = size
            doc.n_chunks = len(drafts)
            doc.last_error = None
            doc.extra = dict(parsed.extra)
            doc.version = -1  # set to the new kb version in _finish
            session.flush()
            for ordinal, draft in enumerate(drafts):
                digest_text = text_hash(draft.match_text)
                session.add(
                    Chunk(
                        id=chunk_id(doc_id, ordinal, digest_text),
                        kb_id=kb_id,
                        doc_id=doc_id,
                        ordinal=ordinal,
                        text=draft.text,
                        match_text=draft.match_text,
                        text_hash=digest_text,
                        tokens=draft.tokens,
                        kind=draft.kind,
                        lang=draft.lang,
                        heading_path=list(draft.heading_path),
                        page=draft.page,
                        char_start=draft.char_start,
                        char_end=draft.char_end,
                        extra=dict(draft.extra),
                        embedded=False,
                    )
                )
        return FileResult(parsed.source, outcome, chunks=len(drafts))

    def _remove_missing(self, kb_id: int, seen: set[str]) -> list[FileResult]:
        with self.db.session() as session:
            kb_row = session.get(KnowledgeBase, kb_id)
            assert kb_row is not None
            gone = [doc for doc in list_documents(session, kb_row) if doc.source not in seen]
            for doc in gone:
                session.delete(doc)
            return [FileResult(doc.source, "removed") for doc in gone]

    def _finish(
        self, kb_id: int, report: IngestReport, *, embed: bool, progress: Progress, started: float
    ) -> IngestReport:
        added, changed, removed = (report.count(o) for o in ("added", "changed", "removed"))
        with self.db.session() as session:
            kb_row = session.get(KnowledgeBase, kb_id)
            assert kb_row is not None
            if added or changed or removed:
                version = bump_version(session, kb_row, added=added, changed=changed, removed=removed)
                session.query(Document).filter(
                    Document.kb_id == kb_id, Document.version == -1
                ).update({Document.version: version})
            report.version = kb_row.version
        self._delete_orphan_vectors(kb_id)
        if embed:
            self._embed_pending(kb_id, report, progress)
        with self.db.session() as session:
            report.pending = (
                session.query(Chunk).filter(Chunk.kb_id == kb_id, Chunk.embedded.is_(False)).count()
            )
        report.seconds = time.perf_counter() - started
        return report

    def _delete_orphan_vectors(self, kb_id: int) -> None:
        name, dim = self.embedder.name, self.embedder.dim
        with self.db.session() as session:
            known = set(session.scalars(select(Chunk.id).where(Chunk.kb_id == kb_id)))
        orphans = self.store.ids(kb_id, embed_model=name, dim=dim) - known
        self.store.delete(kb_id, embed_model=name, dim=dim, ids=sorted(orphans))

    def _embed_pending(self, kb_id: int, report: IngestReport, progress: Progress) -> None:
        with self.db.session() as session:
            pending = list(
                session.scalars(
                    select(Chunk)
                    .where(Chunk.kb_id == kb_id, Chunk.embedded.is_(False))
                    .order_by(Chunk.doc_id, Chunk.ordinal)
                )
            )
            documents = {
                doc_id: (title, source)
                for doc_id, title, source in session.execute(
                    select(Document.id, Document.title, Document.source).where(Document.kb_id == kb_id)
                )
            }
        batch_size = max(1, self.settings.embed_batch_size)
        for start in range(0, len(pending), batch_size):
            batch = pending[start : start + batch_size]
            vectors = self._vectors_for(batch, report)
            self.store.upsert(
                kb_id,
                embed_model=self.embedder.name,
                ids=[c.id for c in batch],
                vectors=vectors,
                documents=[c.text for c in batch],
                metadatas=[
                    {
                        "doc_id": c.doc_id,
                        "kind": c.kind,
                        "lang": c.lang,
                        "title": documents[c.doc_id][0],
                        "source": documents[c.doc_id][1],
                        "heading": c.heading_path,
                        "page": c.page,
                    }
                    for c in batch
                ],
            )
            with self.db.session() as session:
                session.query(Chunk).filter(Chunk.id.in_([c.id for c in batch])).update(
                    {Chunk.embedded: True}, synchronize_session=False
                )
            progress("embed", min(start + batch_size, len(pending)), len(pending))
        self._embed_titles(kb_id)

    def _vectors_for(self, batch: list[Chunk], report: IngestReport) -> np.ndarray:
        """Vectors from the cache where the same text was embedded before, else the embedder."""
        vectors, embedded = self.vector_cache.vectors(
            [c.match_text for c in batch], self.embedder.embed_passages, hashes=[c.text_hash for c in batch]
        )
        report.embedded += embedded
        report.reused += len(batch) - embedded
        return vectors

    def _embed_titles(self, kb_id: int) -> None:
        """A vector for each document title, kept in the vector cache only: retrieval compares the
        query with titles on their own (assistant.retrieval.titles), which finds the FAQ entry or
        article a question paraphrases better than its whole text does."""
        with self.db.session() as session:
            titles = sorted(
                set(session.scalars(select(Document.title).where(Document.kb_id == kb_id, Document.title != "")))
            )
        batch_size = max(1, self.settings.embed_batch_size)
        for start in range(0, len(titles), batch_size):
            self.vector_cache.vectors(titles[start : start + batch_size], self.embedder.embed_passages)
