"""Knowledge bases, versions, documents, chunks and the vector cache.

Revision ID: ingest_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "ingest_0001"
down_revision = None
branch_labels = ("ingest",)
depends_on = None

_now = sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "knowledge_bases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("tenant", sa.String(128), nullable=False, server_default="default"),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("embed_model", sa.String(256), nullable=False),
        sa.Column("embed_dim", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.PrimaryKeyConstraint("id", name="pk_knowledge_bases"),
        sa.UniqueConstraint("name", name="uq_knowledge_bases_name"),
    )
    op.create_index("ix_knowledge_bases_tenant", "knowledge_bases", ["tenant"])
    op.create_table(
        "kb_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kb_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("docs_added", sa.Integer, nullable=False, server_default="0"),
        sa.Column("docs_changed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("docs_removed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("chunks", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.PrimaryKeyConstraint("id", name="pk_kb_versions"),
        sa.ForeignKeyConstraint(
            ["kb_id"],
            ["knowledge_bases.id"],
            ondelete="CASCADE",
            name="fk_kb_versions_kb_id_knowledge_bases",
        ),
        sa.UniqueConstraint("kb_id", "version", name="uq_kb_versions_kb_id"),
    )
    op.create_index("ix_kb_versions_kb_id", "kb_versions", ["kb_id"])
    op.create_table(
        "documents",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kb_id", sa.Integer, nullable=False),
        sa.Column("source", sa.String(1024), nullable=False),
        sa.Column("title", sa.String(512), nullable=False, server_default=""),
        sa.Column("url", sa.String(1024), nullable=True),
        sa.Column("file_type", sa.String(32), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False, server_default="en"),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("n_chunks", sa.Integer, nullable=False, server_default="0"),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.ForeignKeyConstraint(
            ["kb_id"],
            ["knowledge_bases.id"],
            ondelete="CASCADE",
            name="fk_documents_kb_id_knowledge_bases",
        ),
        sa.UniqueConstraint("kb_id", "source", name="uq_documents_kb_id"),
    )
    op.create_index("ix_documents_kb_id", "documents", ["kb_id"])
    op.create_table(
        "chunks",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("kb_id", sa.Integer, nullable=False),
        sa.Column("doc_id", sa.String(32), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("match_text", sa.Text, nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("tokens", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, server_default="text"),
        sa.Column("lang", sa.String(8), nullable=False, server_default="en"),
        sa.Column("heading_path", sa.JSON, nullable=False),
        sa.Column("page", sa.Integer, nullable=True),
        sa.Column("char_start", sa.Integer, nullable=False, server_default="0"),
        sa.Column("char_end", sa.Integer, nullable=False, server_default="0"),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("embedded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name="pk_chunks"),
        sa.ForeignKeyConstraint(
            ["kb_id"],
            ["knowledge_bases.id"],
            ondelete="CASCADE",
            name="fk_chunks_kb_id_knowledge_bases",
        ),
        sa.ForeignKeyConstraint(
            ["doc_id"], ["documents.id"], ondelete="CASCADE", name="fk_chunks_doc_id_documents"
        ),
    )
    op.create_index("ix_chunks_kb_id", "chunks", ["kb_id"])
    op.create_index("ix_chunks_doc_id", "chunks", ["doc_id"])
    op.create_index("ix_chunks_embedded", "chunks", ["embedded"])
    op.create_table(
        "vector_cache",
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.PrimaryKeyConstraint("model", "text_hash", name="pk_vector_cache"),
    )


def downgrade() -> None:
    for table in ("vector_cache", "chunks", "documents", "kb_versions", "knowledge_bases"):
        op.drop_table(table)
