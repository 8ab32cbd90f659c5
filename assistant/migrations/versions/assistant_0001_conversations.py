"""Conversations, messages and feedback.

Revision ID: assistant_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "assistant_0001"
down_revision = None
branch_labels = ("assistant",)
depends_on = "ingest_0001"

_now = sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("kb_name", sa.String(128), nullable=False),
        sa.Column("tenant", sa.String(128), nullable=False, server_default="default"),
        sa.Column("channel", sa.String(64), nullable=False, server_default="api"),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("user_profile", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="bot"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
    )
    op.create_index("ix_conversations_kb_name", "conversations", ["kb_name"])
    op.create_index("ix_conversations_tenant", "conversations", ["tenant"])
    op.create_index("ix_conversations_user_id", "conversations", ["user_id"])
    op.create_table(
        "messages",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("mode", sa.String(16), nullable=True),
        sa.Column("lang", sa.String(8), nullable=True),
        sa.Column("query", sa.Text, nullable=True),
        sa.Column("sources", sa.JSON, nullable=False),
        sa.Column("citations", sa.JSON, nullable=False),
        sa.Column("verdicts", sa.JSON, nullable=False),
        sa.Column("timings_ms", sa.JSON, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=True),
        sa.Column("tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("prompt_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completion_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("model", sa.String(256), nullable=True),
        sa.Column("kb_version", sa.Integer, nullable=True),
        sa.Column("author", sa.String(256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.PrimaryKeyConstraint("id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            ondelete="CASCADE",
            name="fk_messages_conversation_id_conversations",
        ),
    )
    op.create_index("ix_messages_conversation_id", "messages", ["conversation_id"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("message_id", sa.String(32), nullable=False),
        sa.Column("rating", sa.Integer, nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], ondelete="CASCADE", name="fk_feedback_message_id_messages"
        ),
    )
    op.create_index("ix_feedback_message_id", "feedback", ["message_id"])


def downgrade() -> None:
    for table in ("feedback", "messages", "conversations"):
        op.drop_table(table)
