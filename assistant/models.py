"""Conversation tables: sessions, messages (with sources, mode, latency, guard verdicts), feedback."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assistant.types import MessageRole
from ingest.db import Base
from ingest.models import utcnow


def new_id() -> str:
    return uuid.uuid4().hex


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kb_name: Mapped[str] = mapped_column(String(128), index=True)
    tenant: Mapped[str] = mapped_column(String(128), default="default", index=True)
    channel: Mapped[str] = mapped_column(String(64), default="api")
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True, index=True)
    user_profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # "bot": the assistant answers; "human": an agent holds the session and the bot stays silent.
    state: Mapped[str] = mapped_column(String(16), default="bot")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    messages: Mapped[list[ChatMessage]] = relationship(
        back_populates="conversation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ChatMessage.seq",
    )


class ChatMessage(Base):
    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)  # order inside the conversation
    role: Mapped[MessageRole] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)  # redacted: raw PII never reaches this column
    mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    lang: Mapped[str | None] = mapped_column(String(8), nullable=True)
    query: Mapped[str | None] = mapped_column(Text, nullable=True)  # the condensed standalone query
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    citations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    verdicts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # guards, answerability
    timings_ms: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    tokens: Mapped[int] = mapped_column(Integer, default=0)  # tiktoken count of content
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[str | None] = mapped_column(String(256), nullable=True)
    kb_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    author: Mapped[str | None] = mapped_column(String(256), nullable=True)  # agent id for role=agent
    # The release arm that answered (e.g. a canary pipeline); None until a turn records one.
    arm: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(Integer)  # +1 thumbs up, -1 thumbs down
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)  # optional 1-5 satisfaction rating
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GenerationGateRecord(Base):
    """The generation gate's memory of one model's recent drafts in one language (generation_gate.py),
    shared by the CLI, every worker and eval runs through the database."""

    __tablename__ = "generation_gate_records"

    model: Mapped[str] = mapped_column(String(256), primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    # One character per draft, oldest first: "1" grounded, "0" not (ungrounded, LLM error, timeout).
    outcomes: Mapped[str] = mapped_column(String(64), default="")
    skipped: Mapped[int] = mapped_column(Integer, default=0)  # turns sent past the model since the last probe
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
