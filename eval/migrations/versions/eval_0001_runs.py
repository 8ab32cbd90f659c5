"""Evaluation runs and their per-question results.

Revision ID: eval_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "eval_0001"
down_revision = None
branch_labels = ("eval",)
depends_on = "ingest_0001"

_now = sa.func.current_timestamp()


def upgrade() -> None:
    op.create_table(
        "eval_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now),
        sa.Column("dataset_name", sa.String(256), nullable=False),
        sa.Column("dataset_path", sa.Text, nullable=False),
        sa.Column("dataset_hash", sa.String(64), nullable=False),
        sa.Column("selection_hash", sa.String(64), nullable=False),
        sa.Column("arm", sa.String(64), nullable=False),
        sa.Column("kb_name", sa.String(128), nullable=False),
        sa.Column("kb_version", sa.Integer, nullable=False),
        sa.Column("judge", sa.String(512), nullable=True),
        sa.Column("questions", sa.Integer, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False, server_default="0"),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("dataset", sa.JSON, nullable=False),
        sa.Column("kb", sa.JSON, nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("report_paths", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_eval_runs"),
    )
    op.create_index("ix_eval_runs_created_at", "eval_runs", ["created_at"])
    op.create_index("ix_eval_runs_dataset_name", "eval_runs", ["dataset_name"])
    op.create_table(
        "eval_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("question_id", sa.String(256), nullable=False),
        sa.Column("row", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_eval_results"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["eval_runs.id"], ondelete="CASCADE", name="fk_eval_results_run_id_eval_runs"
        ),
    )
    op.create_index("ix_eval_results_run_id", "eval_results", ["run_id"])


def downgrade() -> None:
    op.drop_table("eval_results")
    op.drop_table("eval_runs")
