"""Outbox of agent replies pushed to channel users.

Revision ID: api_0002
Revises: api_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "api_0002"
down_revision = "api_0001"
branch_labels = None
depends_on = None

_now = sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "api_channel_deliveries",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("kb_name", sa.String(128), nullable=False),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_channel_deliveries"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            ondelete="CASCADE",
            name="fk_api_channel_deliveries_conversation_id_conversations",
        ),
        sa.UniqueConstraint("message_id", name="uq_api_channel_deliveries_message_id"),
    )
    op.create_index("ix_api_channel_deliveries_tenant", "api_channel_deliveries", ["tenant"])
    op.create_index(
        "ix_api_channel_deliveries_conversation_id", "api_channel_deliveries", ["conversation_id"]
    )


def downgrade() -> None:
    op.drop_table("api_channel_deliveries")
