"""Conversation persistence: sessions and their messages, in the SQL state store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from assistant.models import ChatMessage, Conversation
from assistant.types import Message
from ingest.db import Database


class ConversationNotFound(LookupError):
    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"conversation {conversation_id!r} does not exist")
        self.conversation_id = conversation_id


@dataclass
class ConversationInfo:
    id: str
    kb_name: str
    tenant: str
    channel: str
    user_id: str | None
    user_profile: dict[str, Any]
    state: str


def _info(row: Conversation) -> ConversationInfo:
    return ConversationInfo(
        id=row.id, kb_name=row.kb_name, tenant=row.tenant, channel=row.channel,
        user_id=row.user_id, user_profile=dict(row.user_profile or {}), state=row.state,
    )


class ConversationStore:
    def __init__(self, database: Database) -> None:
        self.db = database

    def create(
        self,
        kb_name: str,
        *,
        tenant: str = "default",
        channel: str = "api",
        user_id: str | None = None,
        user_profile: dict[str, Any] | None = None,
        conversation_id: str | None = None,
    ) -> ConversationInfo:
        with self.db.session() as session:
            row = Conversation(
                kb_name=kb_name, tenant=tenant, channel=channel, user_id=user_id,
                user_profile=user_profile or {},
            )
            if conversation_id:
                row.id = conversation_id
            session.add(row)
            session.flush()
            return _info(row)

    def get(self, conversation_id: str) -> ConversationInfo:
        with self.db.session() as session:
            row = session.get(Conversation, conversation_id)
            if row is None:
                raise ConversationNotFound(conversation_id)
            return _info(row)

    def set_state(self, conversation_id: str, state: str) -> None:
        with self.db.session() as session:
            row = session.get(Conversation, conversation_id)
            if row is None:
                raise ConversationNotFound(conversation_id)
            row.state = state

    def history(self, conversation_id: str, *, last: int | None = None) -> list[Message]:
        """The conversation's user/assistant/agent turns, oldest first (the last `last` of them)."""
        with self.db.session() as session:
            query = (
                select(ChatMessage.role, ChatMessage.content)
                .where(ChatMessage.conversation_id == conversation_id, ChatMessage.role != "system")
                .order_by(ChatMessage.seq.desc())
            )
            if last is not None:
                query = query.limit(last)
            rows = list(session.execute(query))
        return [Message(role=role, content=content) for role, content in reversed(rows)]

    def messages(self, conversation_id: str) -> list[ChatMessage]:
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(ChatMessage)
                    .where(ChatMessage.conversation_id == conversation_id)
                    .order_by(ChatMessage.seq)
                )
            )

    def add_message(self, conversation_id: str, role: str, content: str, **fields: Any) -> ChatMessage:
        with self.db.session() as session:
            if session.get(Conversation, conversation_id) is None:
                raise ConversationNotFound(conversation_id)
            seq = session.scalar(
                select(func.coalesce(func.max(ChatMessage.seq), 0)).where(
                    ChatMessage.conversation_id == conversation_id
                )
            )
            row = ChatMessage(
                conversation_id=conversation_id, seq=int(seq or 0) + 1, role=role, content=content,
                **fields,
            )
            session.add(row)
            session.flush()
            return row
