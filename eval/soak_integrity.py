"""After a soak: do the stores agree with each other and with what the uploads were told?

Read directly from SQL and Chroma once the kefu processes have stopped (embedded Chroma keeps its
index in the memory of the process that wrote it, so it is read only after the server is gone):
  - in every knowledge base, the chunks SQL marks embedded are exactly the vectors in Chroma
    (no chunk without its vector, no vector without its chunk), and no chunk waits for a vector;
  - no orphan chunk (a chunk whose document row is gone or belongs to another knowledge base);
  - each document's n_chunks is the number of chunks its current revision lists, and every chunk
    row is listed by some retained version's revision (older versions share the chunks table
    until pruned: ingest.versions);
  - the soaked knowledge base holds the expected documents: the sample files with their chunk
    counts from the first build, and every generated file that had a successful upload.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ingest.config import Settings
from ingest.db import Database
from ingest.models import Chunk, Document, KnowledgeBase, RevisionChunk
from ingest.registry import current_chunk_ids
from ingest.vectorstore import VectorStore


@dataclass
class StoreCounts:
    """The soaked knowledge base's figures, and the problems found in any knowledge base."""

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
    expected_sources: every source that must exist in `kb` (sample and generated files)."""
    database = Database(settings.sql_url, migrate=False)
    store = VectorStore(settings)
    counts = StoreCounts(kb)
    try:
        with database.session() as session:
            orphans = session.scalar(
                select(func.count())
                .select_from(Chunk)
                .outerjoin(Document, Chunk.doc_id == Document.id)
                .where((Document.id.is_(None)) | (Document.kb_id != Chunk.kb_id))
            )
            kbs = list(session.scalars(select(KnowledgeBase)))
        if orphans:
            counts.problems.append(f"{orphans} orphan chunks (no document row, or another knowledge base's)")
        if kb not in {k.name for k in kbs}:
            counts.problems.append(f"knowledge base {kb!r} is missing")
        for kb_row in kbs:
            soaked = kb_row.name == kb
            found = _check_kb(
                database,
                store,
                kb_row,
                expected_chunks if soaked else {},
                expected_sources if soaked else set(),
            )
            counts.problems += [f"{kb_row.name}: {p}" for p in found.problems]
            if soaked:
                counts.documents, counts.chunks = found.documents, found.chunks
                counts.embedded, counts.vectors = found.embedded, found.vectors
    finally:
        database.dispose()
    return counts


def _check_kb(
    database: Database,
    store: VectorStore,
    kb: KnowledgeBase,
    expected_chunks: dict[str, int],
    expected_sources: set[str],
) -> StoreCounts:
    counts = StoreCounts(kb.name)
    problems = counts.problems
    with database.session() as session:
        documents = list(session.scalars(select(Document).where(Document.kb_id == kb.id)))
        chunk_rows = session.execute(
            select(Chunk.id, Chunk.doc_id, Chunk.embedded).where(Chunk.kb_id == kb.id)
        ).all()
        current = set(session.scalars(current_chunk_ids(kb.id)))
        listed = set(
            session.scalars(
                select(RevisionChunk.chunk_id)
                .join(Chunk, Chunk.id == RevisionChunk.chunk_id)
                .where(Chunk.kb_id == kb.id)
            )
        )
    counts.documents, counts.chunks = len(documents), len(chunk_rows)
    embedded = {cid for cid, _, done in chunk_rows if done}
    counts.embedded = len(embedded)
    per_doc: dict[str, int] = {}
    for cid, doc_id, _ in chunk_rows:
        if cid in current:
            per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
    if unlisted := {cid for cid, _, _ in chunk_rows} - listed:
        problems.append(f"{len(unlisted)} chunk rows that no retained version lists")
    by_source = {d.source: d for d in documents}
    for doc in documents:
        if per_doc.get(doc.id, 0) != doc.n_chunks:
            problems.append(
                f"{doc.source}: n_chunks {doc.n_chunks} but its revision lists {per_doc.get(doc.id, 0)}"
            )
    for source in sorted(expected_sources - set(by_source)):
        problems.append(f"{source}: document missing")
    for source, n in sorted(expected_chunks.items()):
        if source in by_source and by_source[source].n_chunks != n:
            problems.append(f"{source}: {by_source[source].n_chunks} chunks, {n} after the first build")
    if pending := counts.chunks - counts.embedded:
        problems.append(f"{pending} chunks still without a vector")
    vectors = store.ids(kb.id, embed_model=kb.embed_model, dim=kb.embed_dim)
    counts.vectors = len(vectors)
    if missing := embedded - vectors:
        problems.append(f"{len(missing)} chunks marked embedded have no vector in Chroma")
    if stray := vectors - {cid for cid, _, _ in chunk_rows}:
        problems.append(f"{len(stray)} vectors in Chroma without a chunk row")
    return counts
