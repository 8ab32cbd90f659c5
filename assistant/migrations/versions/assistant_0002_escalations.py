"""Escalation tickets and FAQ candidates.

Revision ID: assistant_0002
Revises: assistant_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "assistant_0002"
down_revision = "assistant_0001"
branch_labels = None
depends_on = None

_now = sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "escalation_tickets",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("tenant", sa.String(128), nullable=False, server_default="default"),
        sa.Column("kb_name", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False, server_default="3"),
        sa.Column("package", sa.JSON, nullable=False),
        sa.Column("assignee", sa.String(256), nullable=True),
        sa.Column("resolution", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_response_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolve_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_escalation_tickets"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            ondelete="CASCADE",
            name="fk_escalation_tickets_conversation_id_conversations",
        ),
    )
    for column in ("conversation_id", "tenant", "kb_name", "status", "assignee"):
        op.create_index(f"ix_escalation_tickets_{column}", "escalation_tickets", [column])
    op.create_table(
        "faq_candidates",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("ticket_id", sa.Integer, nullable=True),
        sa.Column("tenant", sa.String(128), nullable=False, server_default="default"),
        sa.Column("kb_name", sa.String(128), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("lang", sa.String(8), nullable=False, server_default="en"),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("similar_to", sa.JSON, nullable=True),
        sa.Column("similarity", sa.Float, nullable=True),
        sa.Column("reviewer", sa.String(256), nullable=True),
        sa.Column("review_note", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.String(1024), nullable=True),
        sa.Column("kb_version", sa.Integer, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_faq_candidates"),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["escalation_tickets.id"],
            ondelete="SET NULL",
            name="fk_faq_candidates_ticket_id_escalation_tickets",
        ),
    )
    for column in ("ticket_id", "tenant", "kb_name", "status"):
        op.create_index(f"ix_faq_candidates_{column}", "faq_candidates", [column])


def downgrade() -> None:
    for table in ("faq_candidates", "escalation_tickets"):
        op.drop_table(table)
