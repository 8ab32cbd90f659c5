"""Knowledge-base versions with manifests, a published version, and a trash.

Existing knowledge bases get one revision per document (from its current chunks), a manifest for
their current version, and that version published: customers keep getting what they got. Versions
recorded before this have no manifest and are marked not servable.

Revision ID: ingest_0003
Revises: ingest_0002
"""

import hashlib
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "ingest_0003"
down_revision = "ingest_0002"
branch_labels = None
depends_on = None

_now = sa.func.current_timestamp()


def upgrade() -> None:
    with op.batch_alter_table("knowledge_bases") as batch:
        batch.add_column(sa.Column("published_version", sa.Integer, nullable=True))
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("trashed_name", sa.String(128), nullable=True))
    with op.batch_alter_table("kb_versions") as batch:
        batch.add_column(sa.Column("documents", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("config", sa.JSON, nullable=True))
        batch.add_column(sa.Column("servable", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("revision_id", sa.String(40), nullable=True))
    # A chunk outlives its document's current revision while an older version lists it.
    with op.batch_alter_table("chunks") as batch:
        batch.drop_constraint("fk_chunks_doc_id_documents", type_="foreignkey")
    op.create_table(
        "document_revisions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("kb_id", sa.Integer, nullable=False),
        sa.Column("doc_id", sa.String(32), nullable=False),
        sa.Column("source", sa.String(1024), nullable=False),
        sa.Column("title", sa.String(512), nullable=False, server_default=""),
        sa.Column("url", sa.String(1024), nullable=True),
        sa.Column("file_type", sa.String(32), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False, server_default="en"),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("n_chunks", sa.Integer, nullable=False, server_default="0"),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.PrimaryKeyConstraint("id", name="pk_document_revisions"),
        sa.ForeignKeyConstraint(
            ["kb_id"],
            ["knowledge_bases.id"],
            ondelete="CASCADE",
            name="fk_document_revisions_kb_id_knowledge_bases",
        ),
    )
    op.create_index("ix_document_revisions_kb_id", "document_revisions", ["kb_id"])
    op.create_index("ix_document_revisions_doc_id", "document_revisions", ["doc_id"])
    op.create_table(
        "revision_chunks",
        sa.Column("revision_id", sa.String(40), nullable=False),
        sa.Column("chunk_id", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("revision_id", "chunk_id", name="pk_revision_chunks"),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["document_revisions.id"],
            ondelete="CASCADE",
            name="fk_revision_chunks_revision_id_document_revisions",
        ),
        sa.ForeignKeyConstraint(
            ["chunk_id"], ["chunks.id"], ondelete="CASCADE", name="fk_revision_chunks_chunk_id_chunks"
        ),
    )
    op.create_index("ix_revision_chunks_chunk_id", "revision_chunks", ["chunk_id"])
    op.create_table(
        "kb_version_documents",
        sa.Column("version_id", sa.Integer, nullable=False),
        sa.Column("revision_id", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "revision_id", name="pk_kb_version_documents"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["kb_versions.id"],
            ondelete="CASCADE",
            name="fk_kb_version_documents_version_id_kb_versions",
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["document_revisions.id"],
            ondelete="CASCADE",
            name="fk_kb_version_documents_revision_id_document_revisions",
        ),
    )
    op.create_index("ix_kb_version_documents_revision_id", "kb_version_documents", ["revision_id"])
    _manifest_existing()


def _manifest_existing() -> None:
    bind = op.get_bind()
    meta = sa.MetaData()
    kbs = sa.Table("knowledge_bases", meta, autoload_with=bind)
    versions = sa.Table("kb_versions", meta, autoload_with=bind)
    documents = sa.Table("documents", meta, autoload_with=bind)
    chunks = sa.Table("chunks", meta, autoload_with=bind)
    revisions = sa.Table("document_revisions", meta, autoload_with=bind)
    revision_chunks = sa.Table("revision_chunks", meta, autoload_with=bind)
    version_documents = sa.Table("kb_version_documents", meta, autoload_with=bind)
    now = datetime.now(timezone.utc)
    bind.execute(versions.update().values(servable=False, config={}))
    for kb in bind.execute(sa.select(kbs.c.id, kbs.c.version, kbs.c.embed_model, kbs.c.embed_dim)).all():
        docs = bind.execute(sa.select(documents).where(documents.c.kb_id == kb.id)).mappings().all()
        if not docs and kb.version == 0:
            continue
        number = max(kb.version, 1)
        version_id = bind.scalar(
            sa.select(versions.c.id).where(versions.c.kb_id == kb.id, versions.c.version == number)
        )
        n_chunks = 0
        config = {"embed_model": kb.embed_model, "embed_dim": kb.embed_dim, "migrated": True}
        if version_id is None:
            version_id = bind.execute(
                versions.insert().values(kb_id=kb.id, version=number, config=config, created_at=now)
            ).inserted_primary_key[0]
        for doc in docs:
            ids = list(bind.scalars(sa.select(chunks.c.id).where(chunks.c.doc_id == doc["id"])))
            revision_id = hashlib.sha1(f"migrated:{doc['id']}:{doc['content_hash']}".encode()).hexdigest()
            bind.execute(
                revisions.insert().values(
                    id=revision_id,
                    kb_id=kb.id,
                    doc_id=doc["id"],
                    source=doc["source"],
                    title=doc["title"],
                    url=doc["url"],
                    file_type=doc["file_type"],
                    lang=doc["lang"],
                    content_hash=doc["content_hash"],
                    size_bytes=doc["size_bytes"],
                    n_chunks=len(ids),
                    extra=doc["extra"] or {},
                    created_at=now,
                )
            )
            if ids:
                bind.execute(
                    revision_chunks.insert(), [{"revision_id": revision_id, "chunk_id": c} for c in ids]
                )
            bind.execute(version_documents.insert().values(version_id=version_id, revision_id=revision_id))
            bind.execute(
                documents.update().where(documents.c.id == doc["id"]).values(revision_id=revision_id)
            )
            n_chunks += len(ids)
        bind.execute(
            versions.update()
            .where(versions.c.id == version_id)
            .values(
                servable=True,
                documents=len(docs),
                chunks=n_chunks,
                config=config,
                published_at=now,
            )
        )
        bind.execute(kbs.update().where(kbs.c.id == kb.id).values(version=number, published_version=number))


def downgrade() -> None:
    op.drop_table("kb_version_documents")
    op.drop_table("revision_chunks")
    op.drop_table("document_revisions")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("revision_id")
    with op.batch_alter_table("kb_versions") as batch:
        for column in ("documents", "config", "servable", "published_at"):
            batch.drop_column(column)
    with op.batch_alter_table("knowledge_bases") as batch:
        for column in ("published_version", "deleted_at", "trashed_name"):
            batch.drop_column(column)
