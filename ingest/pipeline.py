"""The ingest pipeline: files -> parse -> chunk -> registry (SQL) -> embed -> Chroma.

Two phases, so a large upload is searchable lexically before its vectors exist and a crash at any
point is repaired by the next run:
  stage   per document, one SQL transaction: the document row points to a new revision listing
          its chunks; chunk rows not stored yet are added (embedded = false). Chunk ids are
          derived from (document, position, content), so re-running produces the same ids,
          never duplicates, and an unchanged chunk is shared with the older revisions that list
          it. Older revisions and their chunks stay while a retained version lists them
          (ingest.versions); the run ends by recording a new version (published at once when
          settings.auto_publish).
          Each chunk first goes through the screen, when one is given (the answer side passes its
          prompt-injection detectors): a flagged chunk is stored quarantined, with the reason,
          and is never embedded nor retrieved.
  embed   pending chunks in batches: vectors come from the cache by text hash or the embedder,
          go to Chroma (upsert), then the chunks are marked embedded. Before that, vectors in
          Chroma whose chunk no longer exists in SQL (left by a crash) are deleted. Last, each
          document title gets a vector in the cache (read by retrieval's title step).
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.chunking import chunk_document
from ingest.config import Settings
from ingest.db import Database, open_database
from ingest.embedding import Embedder, get_embedder
from ingest import versions
from ingest.models import Chunk, Document, DocumentRevision, KnowledgeBase, RevisionChunk
from ingest.parsing import parse_file, supported_extensions
from ingest.registry import (
    chunk_digest,
    chunk_id,
    current_chunk_ids,
    document_id,
    get_kb,
    get_or_create_kb,
    list_documents,
    revision_id,
    text_hash,
)
from ingest.types import IngestError, ParsedDocument
from ingest.vector_cache import SQLVectorCache
from ingest.vectorstore import VectorStore

Outcome = Literal["added", "changed", "unchanged", "removed", "failed"]
# succeeded: no file failed; partial: some did (each keeps its previous version); failed: all did.
RunStatus = Literal["succeeded", "partial", "failed"]
Progress = Callable[[str, int, int], None]  # (stage, done, total)
# Chunk text -> the reason it must be quarantined (instructions planted in it), or None.
ChunkScreen = Callable[[str], "str | None"]


@dataclass
class FileResult:
    source: str
    outcome: Outcome
    chunks: int = 0
    reason: str = ""
    quarantined: int = 0  # chunks held back by the screen


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

    @property
    def status(self) -> RunStatus:
        return run_status(len(self.failed), len(self.files))


def run_status(failed: int, files: int) -> RunStatus:
    if failed and failed == files:
        return "failed"
    return "partial" if failed else "succeeded"


def no_progress(stage: str, done: int, total: int) -> None:
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


def missing_documents(documents: Iterable[Document], seen: set[str]) -> list[Document]:
    """The documents whose file is not among the `seen` sources: what `delete_missing` removes.
    FAQ entries (written through the API or accepted from escalations) have no file, so never."""
    return [doc for doc in documents if doc.source not in seen and doc.file_type != "faq"]


class IngestPipeline:
    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        store: VectorStore | None = None,
        embedder: Embedder | None = None,
        screen: ChunkScreen | None = None,
    ) -> None:
        self.settings = settings
        self.screen = screen
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
        force: bool = False,
        progress: Progress = no_progress,
    ) -> IngestReport:
        """Each file is parsed and chunked completely before its document's chunks are replaced
        in one transaction, so a file that fails keeps the previous version. force: parse files
        again even when their bytes are unchanged (a re-ingest after a parser upgrade)."""
        started = time.perf_counter()
        report = IngestReport(kb=kb)
        kb_id = self._kb_id(kb)
        files = list(iter_files(paths))
        for done, (file, source) in enumerate(files, 1):
            report.files.append(self._ingest_file(kb_id, file, source, force=force))
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
        refuse_flagged: bool = False,
        progress: Progress = no_progress,
    ) -> IngestReport:
        """Documents that arrive already parsed: data-set corpora, FAQ entries. refuse_flagged:
        a document with a chunk the screen flags fails (its previous version stays) instead of
        being stored quarantined: for entries written through the API, whose author can rephrase."""
        started = time.perf_counter()
        report = IngestReport(kb=kb)
        kb_id = self._kb_id(kb)
        for done, doc in enumerate(documents, 1):
            digest = hashlib.sha256(repr((doc.title, doc.sections)).encode()).hexdigest()
            report.files.append(self._stage(kb_id, doc, digest, size=0, refuse_flagged=refuse_flagged))
            progress("parse", done, len(documents))
        return self._finish(kb_id, report, embed=embed, progress=progress, started=started)

    def remove_document(self, kb: str, source: str) -> bool:
        """Take the document out of the working state as a new version; its chunks and vectors
        stay while an older version lists them (until `prune`)."""
        with self.db.session() as session:
            kb_row = get_kb(session, kb)
            doc = session.get(Document, document_id(kb_row.id, source))
            if doc is None:
                return False
            session.delete(doc)
            session.flush()
            self._record_version(session, kb_row, added=0, changed=0, removed=1)
        return True

    def drop(self, kb: str) -> None:
        """Move the knowledge base to the trash: restorable (`restore`) with its documents and
        vectors for settings.trash_days, then purged."""
        with self.db.session() as session:
            versions.trash(session, get_kb(session, kb))
        self.purge_expired()

    def restore(self, kb: str, *, tenant: str | None = None, as_name: str | None = None) -> str:
        """Take the most recently trashed knowledge base called `kb` out of the trash."""
        self.purge_expired()
        with self.db.session() as session:
            return versions.restore(session, versions.find_trashed(session, kb, tenant), as_name=as_name).name

    def purge_expired(self) -> list[str]:
        """Delete for good the trashed knowledge bases older than settings.trash_days."""
        with self.db.session() as session:
            gone = [
                (kb.id, kb.trashed_name or kb.name)
                for kb in versions.expired(session, self.settings.trash_days)
            ]
        for kb_id, _ in gone:
            self.purge_id(kb_id)
        return [name for _, name in gone]

    def purge(self, kb: str, *, tenant: str | None = None) -> None:
        """Delete the most recently trashed knowledge base called `kb` for good now."""
        with self.db.session() as session:
            kb_id = versions.find_trashed(session, kb, tenant).id
        self.purge_id(kb_id)

    def purge_id(self, kb_id: int) -> None:
        """Delete a knowledge base for good: its rows, its vectors and retrieval's BM25 indexes."""
        with self.db.session() as session:
            kb_row = session.get(KnowledgeBase, kb_id)
            if kb_row is None:
                return
            session.delete(kb_row)
        self.store.drop(kb_id)
        shutil.rmtree(self.settings.bm25_dir(kb_id), ignore_errors=True)

    def publish(self, kb: str, version: int) -> int:
        with self.db.session() as session:
            return versions.publish(session, get_kb(session, kb), version).version

    def rollback(self, kb: str) -> int:
        with self.db.session() as session:
            return versions.rollback(session, get_kb(session, kb)).version

    def prune(self, kb: str, keep: int) -> versions.PruneResult:
        """Delete all but the newest `keep` versions (and the published one), the chunks only
        they listed, their vectors and their BM25 index folders."""
        with self.db.session() as session:
            kb_row = get_kb(session, kb)
            result = versions.prune(session, kb_row, keep)
            kb_id, model, dim = kb_row.id, kb_row.embed_model, kb_row.embed_dim
        for start in range(0, len(result.chunk_ids), 500):
            self.store.delete(kb_id, embed_model=model, dim=dim, ids=result.chunk_ids[start : start + 500])
        for number in result.versions:
            shutil.rmtree(self.settings.bm25_dir(kb_id) / f"v{number}", ignore_errors=True)
        return result

    def version_config(self) -> dict[str, object]:
        """What a version records of how it was built."""
        return {
            "embed_model": self.embedder.name,
            "embed_dim": self.embedder.dim,
            "chunk_tokens": self.settings.chunk_tokens,
            "chunk_overlap_tokens": self.settings.chunk_overlap_tokens,
        }

    def _record_version(
        self, session: Session, kb_row: KnowledgeBase, *, added: int, changed: int, removed: int
    ) -> int:
        return versions.record_version(
            session,
            kb_row,
            added=added,
            changed=changed,
            removed=removed,
            config=self.version_config(),
            publish=self.settings.auto_publish,
        )

    def embed_pending(self, kb: str, *, progress: Progress = no_progress) -> IngestReport:
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

    def _ingest_file(self, kb_id: int, file: Path, source: str, *, force: bool = False) -> FileResult:
        try:
            if file.suffix.lower() not in supported_extensions():
                raise IngestError(
                    f"unsupported file type {file.suffix or '(none)'!r}; supported: "
                    + " ".join(sorted(supported_extensions()))
                )
            size = file.stat().st_size
            if size > self.settings.max_file_bytes:
                raise IngestError(
                    f"file is {size / 1e6:.1f} MB, over the {self.settings.max_file_mb:g} MB limit"
                )
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
            if not force and self._unchanged(kb_id, source, digest):
                return FileResult(source, "unchanged")
            parsed = parse_file(
                file, max_bytes=self.settings.max_file_bytes, zip_limits=self.settings.zip_limits
            )
            parsed.source = source
        except IngestError as exc:
            return self._failed(kb_id, source, str(exc))
        except OSError as exc:
            return self._failed(kb_id, source, f"cannot read file: {exc.strerror or exc}")
        return self._stage(kb_id, parsed, digest, size=size, force=force)

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

    def _stage(
        self,
        kb_id: int,
        parsed: ParsedDocument,
        digest: str,
        *,
        size: int,
        force: bool = False,
        refuse_flagged: bool = False,
    ) -> FileResult:
        doc_id = document_id(kb_id, parsed.source)
        if not force and self._unchanged(kb_id, parsed.source, digest):
            return FileResult(parsed.source, "unchanged")
        drafts = chunk_document(
            parsed,
            chunk_tokens=self.settings.chunk_tokens,
            overlap_tokens=self.settings.chunk_overlap_tokens,
        )
        if not drafts:
            return self._failed(kb_id, parsed.source, "no text found in the document")
        reasons = [self._screen(draft.text, draft.match_text) for draft in drafts]
        flagged = next((reason for reason in reasons if reason is not None), None)
        if refuse_flagged and flagged is not None:
            return self._failed(kb_id, parsed.source, f"refused: {flagged}")
        ids = [chunk_id(doc_id, ordinal, chunk_digest(draft)) for ordinal, draft in enumerate(drafts)]
        metadata = {
            "source": parsed.source,
            "title": parsed.title[:512],
            "url": parsed.url,
            "file_type": parsed.file_type,
            "lang": parsed.lang,
            "content_hash": digest,
            "size_bytes": size,
            "extra": dict(parsed.extra),
        }
        revision = revision_id(doc_id, ids, metadata)
        with self.db.session() as session:
            doc = session.get(Document, doc_id)
            if doc is not None and doc.content_hash == digest and not force:
                return FileResult(parsed.source, "unchanged")
            outcome: Outcome = "added" if doc is None else "changed"
            if doc is None:
                doc = Document(id=doc_id, kb_id=kb_id, source=parsed.source)
                session.add(doc)
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
            doc.revision_id = revision
            # Chunks already stored (an unchanged part, or an older revision coming back) are shared.
            stored = set(session.scalars(select(Chunk.id).where(Chunk.doc_id == doc_id, Chunk.id.in_(ids))))
            for ordinal, draft in enumerate(drafts):
                if ids[ordinal] in stored:
                    continue
                session.add(
                    Chunk(
                        id=ids[ordinal],
                        kb_id=kb_id,
                        doc_id=doc_id,
                        ordinal=ordinal,
                        text=draft.text,
                        match_text=draft.match_text,
                        text_hash=text_hash(draft.match_text),
                        tokens=draft.tokens,
                        kind=draft.kind,
                        lang=draft.lang,
                        heading_path=list(draft.heading_path),
                        page=draft.page,
                        char_start=draft.char_start,
                        char_end=draft.char_end,
                        extra=dict(draft.extra),
                        embedded=False,
                        quarantine_reason=reasons[ordinal],
                    )
                )
            session.flush()
            if session.get(DocumentRevision, revision) is None:
                session.add(
                    DocumentRevision(id=revision, kb_id=kb_id, doc_id=doc_id, n_chunks=len(ids), **metadata)
                )
                session.flush()
                session.add_all(RevisionChunk(revision_id=revision, chunk_id=c) for c in dict.fromkeys(ids))
        quarantined = sum(reason is not None for reason in reasons)
        return FileResult(parsed.source, outcome, chunks=len(drafts), quarantined=quarantined)

    def _screen(self, text: str, match_text: str) -> str | None:
        """The screen's reason for holding the chunk back; an FAQ pair's questions are read too."""
        if self.screen is None:
            return None
        return self.screen(text if match_text == text else f"{match_text}\n{text}")

    def _remove_missing(self, kb_id: int, seen: set[str]) -> list[FileResult]:
        with self.db.session() as session:
            kb_row = session.get(KnowledgeBase, kb_id)
            assert kb_row is not None
            gone = missing_documents(list_documents(session, kb_row), seen)
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
                version = self._record_version(session, kb_row, added=added, changed=changed, removed=removed)
                session.query(Document).filter(Document.kb_id == kb_id, Document.version == -1).update(
                    {Document.version: version}
                )
            report.version = kb_row.version
        self._delete_orphan_vectors(kb_id)
        if embed:
            self._embed_pending(kb_id, report, progress)
        with self.db.session() as session:
            report.pending = (
                session.query(Chunk)
                .filter(
                    Chunk.kb_id == kb_id,
                    Chunk.embedded.is_(False),
                    Chunk.quarantine_reason.is_(None),
                    Chunk.id.in_(current_chunk_ids(kb_id)),
                )
                .count()
            )
        report.seconds = time.perf_counter() - started
        return report

    def _delete_orphan_vectors(self, kb_id: int) -> None:
        name, dim = self.embedder.name, self.embedder.dim
        with self.db.session() as session:
            # A quarantined chunk's vector (from before it was quarantined) goes too.
            known = set(
                session.scalars(
                    select(Chunk.id).where(Chunk.kb_id == kb_id, Chunk.quarantine_reason.is_(None))
                )
            )
        orphans = self.store.ids(kb_id, embed_model=name, dim=dim) - known
        self.store.delete(kb_id, embed_model=name, dim=dim, ids=sorted(orphans))

    def _embed_pending(self, kb_id: int, report: IngestReport, progress: Progress) -> None:
        with self.db.session() as session:
            pending = list(
                session.scalars(
                    select(Chunk)
                    .where(Chunk.kb_id == kb_id, Chunk.embedded.is_(False), Chunk.quarantine_reason.is_(None))
                    .order_by(Chunk.doc_id, Chunk.ordinal)
                )
            )
            # A pending chunk may belong to an older revision only (its document since changed or
            # removed): revisions name every document, the working state wins where both do.
            documents = {
                doc_id: (title, source)
                for doc_id, title, source in session.execute(
                    select(DocumentRevision.doc_id, DocumentRevision.title, DocumentRevision.source).where(
                        DocumentRevision.kb_id == kb_id
                    )
                )
            }
            documents.update(
                (doc_id, (title, source))
                for doc_id, title, source in session.execute(
                    select(Document.id, Document.title, Document.source).where(Document.kb_id == kb_id)
                )
            )
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
                set(
                    session.scalars(
                        select(Document.title).where(Document.kb_id == kb_id, Document.title != "")
                    )
                )
            )
        batch_size = max(1, self.settings.embed_batch_size)
        for start in range(0, len(titles), batch_size):
            self.vector_cache.vectors(titles[start : start + batch_size], self.embedder.embed_passages)
