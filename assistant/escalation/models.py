"""Escalation tables: tickets handed to human agents, and the FAQ candidates their answers propose."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ingest.db import Base
from ingest.models import utcnow

TICKET_STATUSES = ("open", "claimed", "resolved")
CANDIDATE_STATUSES = ("pending", "accepted", "rejected", "duplicate")


class EscalationTicket(Base):
    __tablename__ = "escalation_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    tenant: Mapped[str] = mapped_column(String(128), default="default", index=True)
    kb_name: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)  # reason codes, most specific first
    priority: Mapped[int] = mapped_column(Integer, default=3)  # 1 urgent, 2 high, 3 normal
    package: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the handoff package
    assignee: Mapped[str | None] = mapped_column(String(256), nullable=True, index=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)  # the agent's answer
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    first_response_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    first_response_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolve_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FaqCandidate(Base):
    __tablename__ = "faq_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_tickets.id", ondelete="SET NULL"), nullable=True, index=True
    )
    tenant: Mapped[str] = mapped_column(String(128), default="default", index=True)
    kb_name: Mapped[str] = mapped_column(String(128), index=True)
    question: Mapped[str] = mapped_column(Text)  # redacted
    answer: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    # The closest existing FAQ question or pending candidate: {"kind", "id", "question", "source"}.
    similar_to: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    similarity: Mapped[float | None] = mapped_column(Float, nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(256), nullable=True)
    review_note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str | None] = mapped_column(String(1024), nullable=True)  # document once accepted
    kb_version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # version that added it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
