"""The document registry: knowledge bases, their versions and documents in SQL."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest.models import Chunk, Document, KBVersion, KnowledgeBase


class KnowledgeBaseNotFound(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"knowledge base {name!r} does not exist")
        self.name = name


class EmbedderMismatch(ValueError):
    pass


def document_id(kb_id: int, source: str) -> str:
    return hashlib.sha1(f"{kb_id}:{source}".encode()).hexdigest()[:32]


def chunk_id(doc_id: str, ordinal: int, text_hash: str) -> str:
    return hashlib.sha1(f"{doc_id}:{ordinal}:{text_hash}".encode()).hexdigest()


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

    @property
    def pending(self) -> int:
        return self.chunks - self.embedded


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
        ).where(Chunk.kb_id == kb.id)
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
    )


def list_kbs(session: Session) -> list[KnowledgeBase]:
    return list(session.scalars(select(KnowledgeBase).order_by(KnowledgeBase.name)))


def list_quarantined(session: Session, kb: KnowledgeBase) -> list[tuple[Chunk, Document]]:
    """The knowledge base's quarantined chunks with their documents, in document order."""
    return [
        (chunk, doc)
        for chunk, doc in session.execute(
            select(Chunk, Document)
            .join(Document, Document.id == Chunk.doc_id)
            .where(Chunk.kb_id == kb.id, Chunk.quarantine_reason.is_not(None))
            .order_by(Document.source, Chunk.ordinal)
        )
    ]


def list_documents(session: Session, kb: KnowledgeBase) -> list[Document]:
    return list(
        session.scalars(select(Document).where(Document.kb_id == kb.id).order_by(Document.source))
    )


def bump_version(
    session: Session, kb: KnowledgeBase, *, added: int, changed: int, removed: int
) -> int:
    kb.version += 1
    chunks = session.scalar(select(func.count()).where(Chunk.kb_id == kb.id)) or 0
    session.add(
        KBVersion(
            kb_id=kb.id, version=kb.version, docs_added=added, docs_changed=changed,
            docs_removed=removed, chunks=chunks,
        )
    )
    return kb.version
