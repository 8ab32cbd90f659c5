"""Release arms: releases (a candidate served to a share of new sessions) and each session's arm.

Revision ID: assistant_0005_releases
Revises: assistant_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "assistant_0005_releases"
down_revision = "assistant_0004"
branch_labels = None
depends_on = None

_now = sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "releases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "kb_id", sa.Integer, sa.ForeignKey("knowledge_bases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kb_name", sa.String(128), nullable=False),
        sa.Column("tenant", sa.String(128), nullable=False, server_default="default"),
        sa.Column("state", sa.String(16), nullable=False, server_default="running"),
        sa.Column("share", sa.Float, nullable=False),
        sa.Column("suite", sa.String(1024), nullable=True),
        sa.Column("published_version", sa.Integer, nullable=True),
        sa.Column("published_config", sa.JSON, nullable=False),
        sa.Column("candidate_version", sa.Integer, nullable=True),
        sa.Column("candidate_config", sa.JSON, nullable=False),
        sa.Column("started_by", sa.String(256), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gate", sa.JSON, nullable=False),
    )
    op.create_index("ix_releases_kb_id", "releases", ["kb_id"])
    # One running release per knowledge base, even when two workers start one at once.
    op.create_index(
        "uq_releases_running",
        "releases",
        ["kb_id"],
        unique=True,
        sqlite_where=sa.text("state = 'running'"),
        postgresql_where=sa.text("state = 'running'"),
    )
    op.create_table(
        "release_assignments",
        sa.Column("release_id", sa.Integer, sa.ForeignKey("releases.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("arm", sa.String(16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.PrimaryKeyConstraint("release_id", "conversation_id", name="pk_release_assignments"),
    )
    op.create_index("ix_release_assignments_conversation_id", "release_assignments", ["conversation_id"])


def downgrade() -> None:
    op.drop_table("release_assignments")
    op.drop_index("uq_releases_running", "releases")
    op.drop_index("ix_releases_kb_id", "releases")
    op.drop_table("releases")
