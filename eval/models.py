"""Stored evaluation runs: one row per run, one child row per question."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ingest.db import Base
from ingest.models import utcnow


class EvalRun(Base):
    __tablename__ = "eval_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    dataset_name: Mapped[str] = mapped_column(String(256), index=True)
    dataset_path: Mapped[str] = mapped_column(Text)
    dataset_hash: Mapped[str] = mapped_column(String(64))
    # Which questions were answered (after --only/--sample/--limit): gate compares like with like.
    selection_hash: Mapped[str] = mapped_column(String(64))
    arm: Mapped[str] = mapped_column(String(64))
    kb_name: Mapped[str] = mapped_column(String(128))
    kb_version: Mapped[int] = mapped_column(Integer)
    judge: Mapped[str | None] = mapped_column(String(512), nullable=True)
    questions: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dataset: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    kb: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    report_paths: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    results: Mapped[list[EvalResult]] = relationship(
        back_populates="run",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="EvalResult.ordinal",
    )


class EvalResult(Base):
    """One answered question of a run: the whole per-question row (answer, passages, scores)."""

    __tablename__ = "eval_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("eval_runs.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[str] = mapped_column(String(256))
    row: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    run: Mapped[EvalRun] = relationship(back_populates="results")
