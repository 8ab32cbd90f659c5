"""Analytics inputs: an optional 1-5 satisfaction score on feedback, the release arm of a message.

Revision ID: assistant_0004
Revises: assistant_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "assistant_0004"
down_revision = "assistant_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feedback", sa.Column("score", sa.Integer, nullable=True))
    op.add_column("messages", sa.Column("arm", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("arm")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("score")
