"""The generation gate's record of recent drafts per model and language.

Revision ID: assistant_0003
Revises: assistant_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "assistant_0003"
down_revision = "assistant_0002"
branch_labels = None
depends_on = None

_now = sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "generation_gate_records",
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("lang", sa.String(8), nullable=False),
        sa.Column("outcomes", sa.String(64), nullable=False, server_default=""),
        sa.Column("skipped", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.PrimaryKeyConstraint("model", "lang", name="pk_generation_gate_records"),
    )


def downgrade() -> None:
    op.drop_table("generation_gate_records")
