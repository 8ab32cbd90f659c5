"""Knowledge-base tables: knowledge bases and their versions, documents, chunks, vector cache.

Versions (ingest.versions): `documents` and their `revision_id` are the working state (the newest
draft). Every change records a KBVersion whose manifest lists document revisions
(kb_version_documents); a revision is immutable and lists its chunk ids (revision_chunks). Chunk
rows and their vectors are shared by every revision that lists them and are deleted only when no
retained version (nor the working state) lists them any more (`prune`)."""

from __future__ import annotations

from datetime import datetime, UTC
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ingest.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


class KnowledgeBase(Base):
    __tablename__ = "knowledge_bases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    tenant: Mapped[str] = mapped_column(String(128), default="default", index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Bumped by every ingest run that changes the content; answers and eval runs record it.
    version: Mapped[int] = mapped_column(Integer, default=0)
    embed_model: Mapped[str] = mapped_column(String(256))
    embed_dim: Mapped[int] = mapped_column(Integer)
    # The version customers are served (None: nothing published yet; they get no passages).
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Set when the knowledge base is in the trash: its name is then freed (a placeholder) and its
    # original name kept in trashed_name until it is restored or purged.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    trashed_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    documents: Mapped[list[Document]] = relationship(
        back_populates="kb", cascade="all, delete-orphan", passive_deletes=True
    )


class KBVersion(Base):
    """What one change made of a knowledge base; a row per version. Its manifest (the document
    revisions in kb_version_documents) and config never change once written."""

    __tablename__ = "kb_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kb_id: Mapped[int] = mapped_column(ForeignKey("knowledge_bases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    docs_added: Mapped[int] = mapped_column(Integer, default=0)
    docs_changed: Mapped[int] = mapped_column(Integer, default=0)
    docs_removed: Mapped[int] = mapped_column(Integer, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    # Chunking and embedder configuration the version was built with.
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # False for versions recorded before manifests existed: listed, never servable.
    servable: Mapped[bool] = mapped_column(Boolean, default=True)
    # When it was last made the published version (None: never); rollback walks back through these.
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("kb_id", "version"),)


class DocumentFields:
    """The columns a document and each of its immutable revisions share (a revision is a snapshot
    of them)."""

    kb_id: Mapped[int] = mapped_column(ForeignKey("knowledge_bases.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(1024))
    title: Mapped[str] = mapped_column(String(512), default="")
    url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    file_type: Mapped[str] = mapped_column(String(32))
    lang: Mapped[str] = mapped_column(String(8), default="en")
    content_hash: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    n_chunks: Mapped[int] = mapped_column(Integer, default=0)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DocumentRevision(DocumentFields, Base):
    """One immutable state of a document: its metadata and (in revision_chunks) its chunk ids.
    The id is derived from all of it, so the same state is stored once however often it recurs."""

    __tablename__ = "document_revisions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(32), index=True)


class RevisionChunk(Base):
    __tablename__ = "revision_chunks"

    revision_id: Mapped[str] = mapped_column(
        ForeignKey("document_revisions.id", ondelete="CASCADE"), primary_key=True
    )
    chunk_id: Mapped[str] = mapped_column(
        ForeignKey("chunks.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class VersionDocument(Base):
    """A version's manifest: one row per document revision in it."""

    __tablename__ = "kb_version_documents"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("kb_versions.id", ondelete="CASCADE"), primary_key=True
    )
    revision_id: Mapped[str] = mapped_column(
        ForeignKey("document_revisions.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Document(DocumentFields, Base):
    __tablename__ = "documents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)  # kb version that last changed it
    # Its current revision (DocumentRevision.id): what the next version will list for it.
    revision_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    kb: Mapped[KnowledgeBase] = relationship(back_populates="documents")

    __table_args__ = (UniqueConstraint("kb_id", "source"),)


class Chunk(Base):
    """A chunk's text lives here (the lexical index is built from it as soon as a file is parsed);
    its vector lives in the knowledge base's Chroma collection once `embedded` is true. Quarantined
    chunks (quarantine_reason set) are left out of both. A chunk outlives its document's current
    revision while a retained version lists it, so doc_id is not a foreign key."""

    __tablename__ = "chunks"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kb_id: Mapped[int] = mapped_column(ForeignKey("knowledge_bases.id", ondelete="CASCADE"), index=True)
    doc_id: Mapped[str] = mapped_column(String(32), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    match_text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))  # sha256 of match_text: the vector cache key
    tokens: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="text")
    lang: Mapped[str] = mapped_column(String(8), default="en")
    heading_path: Mapped[list[str]] = mapped_column(JSON, default=list)
    page: Mapped[int | None] = mapped_column(Integer, nullable=True)
    char_start: Mapped[int] = mapped_column(Integer, default=0)
    char_end: Mapped[int] = mapped_column(Integer, default=0)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    embedded: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Set when the ingest screen found instructions planted in the text: the chunk is kept for its
    # owner to see, but gets no vector and is never retrieved (so never shown to the model).
    quarantine_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    # Its document in the working state (None once the document was removed).
    document: Mapped[Document | None] = relationship(
        primaryjoin="foreign(Chunk.doc_id) == Document.id", viewonly=True
    )


class CachedVector(Base):
    """Vectors by (embedder, text hash), so no chunk text is embedded twice across versions."""

    __tablename__ = "vector_cache"

    model: Mapped[str] = mapped_column(String(256), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
