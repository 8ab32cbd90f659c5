"""After a soak: do the stores agree with each other and with what the uploads were told?

Read directly from SQL and Chroma once the kefu processes have stopped (embedded Chroma keeps its
index in the memory of the process that wrote it, so it is read only after the server is gone):
  - per knowledge base, the chunks SQL marks embedded are exactly the vectors in Chroma
    (no chunk without its vector, no vector without its chunk), and no chunk waits for a vector;
  - no orphan chunk (a chunk whose document row is gone or belongs to another knowledge base);
  - each document's n_chunks is the number of its chunk rows;
  - the expected documents are there: the sample files with their chunk counts from the first
    build, and every generated file that had a successful upload.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ingest.config import Settings
from ingest.db import Database
from ingest.models import Chunk, Document, KnowledgeBase
from ingest.vectorstore import VectorStore


@dataclass
class StoreCounts:
    kb: str
    documents: int = 0
    chunks: int = 0
    embedded: int = 0
    vectors: int = 0
    problems: list[str] = field(default_factory=list)


def check_stores(
    settings: Settings, kb: str, expected_chunks: dict[str, int], expected_sources: set[str]
) -> StoreCounts:
    """expected_chunks: source -> chunk count that must be unchanged (the sample files);
    expected_sources: every source that must exist (sample and generated files)."""
    database = Database(settings.sql_url, migrate=False)
    counts = StoreCounts(kb)
    problems = counts.problems
    try:
        with database.session() as session:
            kb_row = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == kb))
            if kb_row is None:
                problems.append(f"knowledge base {kb!r} is missing")
                return counts
            kb_id, model, dim = kb_row.id, kb_row.embed_model, kb_row.embed_dim
            documents = {d.id: d for d in session.scalars(select(Document).where(Document.kb_id == kb_id))}
            chunk_rows = session.execute(
                select(Chunk.id, Chunk.doc_id, Chunk.embedded).where(Chunk.kb_id == kb_id)
            ).all()
            orphans = session.scalar(
                select(func.count()).select_from(Chunk).outerjoin(Document, Chunk.doc_id == Document.id)
                .where((Document.id.is_(None)) | (Document.kb_id != Chunk.kb_id))
            )
        counts.documents, counts.chunks = len(documents), len(chunk_rows)
        embedded = {cid for cid, _, done in chunk_rows if done}
        counts.embedded = len(embedded)
        if orphans:
            problems.append(f"{orphans} orphan chunks (no document row, or another knowledge base's)")
        per_doc: dict[str, int] = {}
        for _, doc_id, _ in chunk_rows:
            per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
        by_source = {d.source: d for d in documents.values()}
        for doc in documents.values():
            if per_doc.get(doc.id, 0) != doc.n_chunks:
                problems.append(f"{doc.source}: n_chunks {doc.n_chunks} but {per_doc.get(doc.id, 0)} chunk rows")
        for source in sorted(expected_sources - set(by_source)):
            problems.append(f"{source}: document missing")
        for source, n in sorted(expected_chunks.items()):
            if source in by_source and by_source[source].n_chunks != n:
                problems.append(f"{source}: {by_source[source].n_chunks} chunks, {n} after the first build")
        if pending := counts.chunks - counts.embedded:
            problems.append(f"{pending} chunks still without a vector")
        vectors = VectorStore(settings).ids(kb_id, embed_model=model, dim=dim)
        counts.vectors = len(vectors)
        if missing := embedded - vectors:
            problems.append(f"{len(missing)} chunks marked embedded have no vector in Chroma")
        if stray := vectors - {cid for cid, _, _ in chunk_rows}:
            problems.append(f"{len(stray)} vectors in Chroma without a chunk row")
    finally:
        database.dispose()
    return counts
