"""The outbox of channel pushes: one row per agent reply that has to reach a channel user.

Kept in SQL (not only in memory) so a reply whose push failed is never silently lost: the row
says what was tried, how often and what went wrong, and can be retried.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ingest.db import Base
from ingest.models import utcnow

STATUSES = ("pending", "sending", "delivered", "failed")


class ChannelDelivery(Base):
    __tablename__ = "api_channel_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64))
    kb_name: Mapped[str] = mapped_column(String(128))
    tenant: Mapped[str] = mapped_column(String(128), index=True)
    # Deleting a conversation (e.g. on a data-erasure request) deletes its pushes too.
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str] = mapped_column(String(32), unique=True)  # the agent's message
    user_id: Mapped[str] = mapped_column(String(256))  # the platform's user id (openid, ...)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # one of STATUSES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
