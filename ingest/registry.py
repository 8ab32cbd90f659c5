"""The document registry: knowledge bases, their versions and documents in SQL."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, func, select
from sqlalchemy.orm import Session

from ingest.errors import Conflict, NotFound
from ingest.models import Chunk, Document, KnowledgeBase, RevisionChunk
from ingest.types import ChunkDraft


class KnowledgeBaseNotFound(NotFound, LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"knowledge base {name!r} does not exist")
        self.name = name


class EmbedderMismatch(Conflict, ValueError):
    pass


def document_id(kb_id: int, source: str) -> str:
    return hashlib.sha1(f"{kb_id}:{source}".encode()).hexdigest()[:32]


def chunk_id(doc_id: str, ordinal: int, digest: str) -> str:
    """A chunk's id from its document, position and content digest (chunk_digest)."""
    return hashlib.sha1(f"{doc_id}:{ordinal}:{digest}".encode()).hexdigest()


def chunk_digest(draft: ChunkDraft) -> str:
    """Everything a chunk row stores about its content. Versions share chunk rows by id, so the
    id must change whenever any of it does: an FAQ answer edit keeps the match text (the
    questions) but changes the text customers are shown."""
    fields = [
        draft.match_text,
        draft.text,
        draft.kind,
        draft.lang,
        list(draft.heading_path),
        draft.page,
        draft.char_start,
        draft.char_end,
        draft.extra,
    ]
    return hashlib.sha256(
        json.dumps(fields, ensure_ascii=False, sort_keys=True, default=str).encode()
    ).hexdigest()


def revision_id(doc_id: str, chunk_ids: list[str], metadata: dict[str, Any]) -> str:
    """A document revision's id from its chunks and metadata: the same state is stored once."""
    body = json.dumps([doc_id, chunk_ids, metadata], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha1(body.encode()).hexdigest()


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class KBSummary:
    name: str
    tenant: str
    version: int
    embed_model: str
    embed_dim: int
    documents: int
    chunks: int  # searchable chunks: quarantined ones are counted apart
    embedded: int
    faq_chunks: int
    quarantined: int = 0
    published_version: int | None = None

    @property
    def pending(self) -> int:
        return self.chunks - self.embedded


def current_chunk_ids(kb_id: int | SQLColumnExpression[int]) -> Select[str]:
    """The chunk ids of the working state (each document's current revision): older versions'
    chunks share the chunks table."""
    return (
        select(RevisionChunk.chunk_id)
        .join(Document, Document.revision_id == RevisionChunk.revision_id)
        .where(Document.kb_id == kb_id)
    )


def get_kb(session: Session, name: str) -> KnowledgeBase:
    kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == name))
    if kb is None:
        raise KnowledgeBaseNotFound(name)
    return kb


def get_or_create_kb(
    session: Session, name: str, *, embed_model: str, embed_dim: int, tenant: str = "default"
) -> KnowledgeBase:
    kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == name))
    if kb is None:
        kb = KnowledgeBase(name=name, tenant=tenant, embed_model=embed_model, embed_dim=embed_dim)
        session.add(kb)
        session.flush()
    elif kb.embed_model != embed_model or kb.embed_dim != embed_dim:
        raise EmbedderMismatch(
            f"knowledge base {name!r} was built with {kb.embed_model} ({kb.embed_dim}-d) but the "
            f"configured embedder is {embed_model} ({embed_dim}-d); set KEFU_EMBED_MODEL back "
            f"or drop and re-ingest the knowledge base"
        )
    return kb


def summarise(session: Session, kb: KnowledgeBase) -> KBSummary:
    documents = session.scalar(select(func.count()).where(Document.kb_id == kb.id)) or 0
    searchable = Chunk.quarantine_reason.is_(None)
    counts = session.execute(
        select(
            func.count(Chunk.id).filter(searchable),
            func.count(Chunk.id).filter(searchable, Chunk.embedded.is_(True)),
            func.count(Chunk.id).filter(searchable, Chunk.kind == "faq"),
            func.count(Chunk.id).filter(Chunk.quarantine_reason.is_not(None)),
        ).where(Chunk.kb_id == kb.id, Chunk.id.in_(current_chunk_ids(kb.id)))
    ).one()
    return KBSummary(
        name=kb.name,
        tenant=kb.tenant,
        version=kb.version,
        embed_model=kb.embed_model,
        embed_dim=kb.embed_dim,
        documents=documents,
        chunks=counts[0],
        embedded=counts[1],
        faq_chunks=counts[2],
        quarantined=counts[3],
        published_version=kb.published_version,
    )


def list_kbs(session: Session) -> list[KnowledgeBase]:
    """The knowledge bases not in the trash."""
    return list(
        session.scalars(
            select(KnowledgeBase).where(KnowledgeBase.deleted_at.is_(None)).order_by(KnowledgeBase.name)
        )
    )


def list_quarantined(session: Session, kb: KnowledgeBase) -> list[tuple[Chunk, Document]]:
    """The knowledge base's quarantined chunks with their documents, in document order."""
    return [
        (chunk, doc)
        for chunk, doc in session.execute(
            select(Chunk, Document)
            .join(Document, Document.id == Chunk.doc_id)
            .where(
                Chunk.kb_id == kb.id,
                Chunk.quarantine_reason.is_not(None),
                Chunk.id.in_(current_chunk_ids(kb.id)),
            )
            .order_by(Document.source, Chunk.ordinal)
        )
    ]


def list_documents(session: Session, kb: KnowledgeBase) -> list[Document]:
    return list(session.scalars(select(Document).where(Document.kb_id == kb.id).order_by(Document.source)))
