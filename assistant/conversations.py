"""Conversation persistence: sessions and their messages, in the SQL state store.

turn_rows() is the one serialiser of an answered turn: the customer's message and the reply as
rows, the reply's verdicts written by assistant.turn.Verdicts.to_json (read back with from_json).
"""

from __future__ import annotations

from ingest.errors import NotFound
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.models import ChatMessage, Conversation, new_id
from assistant.turn import AnswerResult, Verdicts
from assistant.types import Message, Passage
from ingest.db import Database
from ingest.models import utcnow
from ingest.text import count_tokens


class ConversationNotFound(NotFound, LookupError):
    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"session {conversation_id!r} not found")  # the API and CLI call it a session
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


@dataclass(frozen=True)
class ConversationAccess:
    """Which conversations a caller may see: those of its tenant, in its knowledge bases (all when
    None), and for a customer key only the sessions that key created."""

    tenant: str
    kbs: tuple[str, ...] | None = None
    key_id: str | None = None  # set for customer keys: the api_key_id their sessions store

    def allows(self, tenant: str, kb_name: str, user_profile: dict[str, Any] | None) -> bool:
        return (
            tenant == self.tenant
            and (not self.kbs or kb_name in self.kbs)
            and (self.key_id is None or (user_profile or {}).get("api_key_id") == self.key_id)
        )


@dataclass(frozen=True)
class LoadedConversation:
    """A conversation and its stored messages, read once at the start of a turn."""

    info: ConversationInfo
    messages: tuple[ChatMessage, ...]

    def history(self, last: int) -> list[Message]:
        """The last `last` user/assistant/agent messages, oldest first (system events left out)."""
        visible = [m for m in self.messages if m.role != "system"]
        recent = visible[-last:] if last > 0 else []
        return [Message(role=m.role, content=m.content) for m in recent]

    @property
    def next_seq(self) -> int:
        return max((m.seq for m in self.messages), default=0) + 1


def source_json(passage: Passage) -> dict[str, Any]:
    return {
        "n": passage.n,
        "chunk_id": passage.chunk_id,
        "doc_id": passage.doc_id,
        "source": passage.source,
        "title": passage.title,
        "score": passage.score,
        "scores": passage.scores.as_dict(),
        "ranks": passage.scores.ranks(),
    }


def user_row(
    conversation_id: str, seq: int, text: str, lang: str | None, verdicts: Verdicts | None = None
) -> ChatMessage:
    return ChatMessage(
        id=new_id(),
        conversation_id=conversation_id,
        seq=seq,
        role="user",
        content=text,
        lang=lang,
        tokens=count_tokens(text),
        verdicts=(verdicts or Verdicts()).to_json(),
        created_at=utcnow(),
    )


def turn_rows(
    conversation_id: str, seq: int, result: AnswerResult, *, ids: tuple[str, str] | None = None
) -> tuple[ChatMessage, ChatMessage]:
    """The customer's message (as the input guard redacted it, with its verdict) and the reply."""
    user = user_row(
        conversation_id, seq, result.question, result.lang, Verdicts(input_guard=result.verdicts.input_guard)
    )
    reply = ChatMessage(
        id=new_id(),
        conversation_id=conversation_id,
        seq=seq + 1,
        role="assistant",
        content=result.text,
        mode=result.mode,
        lang=result.lang,
        query=result.query,
        sources=[source_json(p) for p in result.passages],
        citations=[asdict(c) for c in result.citations],
        verdicts=result.verdicts.to_json(),
        timings_ms=dict(result.timings_ms),
        latency_ms=result.timings_ms.get("total"),
        tokens=count_tokens(result.text),
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        model=result.model,
        kb_version=result.kb_version,
        arm=result.arm,
        created_at=user.created_at,
    )
    if ids is not None:
        user.id, reply.id = ids
    return user, reply


def next_seq(session: Session, conversation_id: str) -> int:
    """The seq after the conversation's last message, read inside the writing transaction."""
    last = session.scalar(
        select(func.coalesce(func.max(ChatMessage.seq), 0)).where(
            ChatMessage.conversation_id == conversation_id
        )
    )
    return int(last or 0) + 1


def add_rows(session: Session, rows: Sequence[ChatMessage]) -> None:
    """Stores rows built for a conversation, renumbered after what is stored by now (an agent may
    have written meanwhile)."""
    if not rows:
        return
    seq = next_seq(session, rows[0].conversation_id)
    for offset, row in enumerate(rows):
        row.seq = seq + offset
        session.add(row)
    session.flush()


def _info(row: Conversation) -> ConversationInfo:
    return ConversationInfo(
        id=row.id,
        kb_name=row.kb_name,
        tenant=row.tenant,
        channel=row.channel,
        user_id=row.user_id,
        user_profile=dict(row.user_profile or {}),
        state=row.state,
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
                kb_name=kb_name,
                tenant=tenant,
                channel=channel,
                user_id=user_id,
                user_profile=user_profile or {},
            )
            if conversation_id:
                row.id = conversation_id
            session.add(row)
            session.flush()
            return _info(row)

    def latest(self, *, tenant: str, channel: str, kb_name: str, user_id: str) -> LoadedConversation | None:
        """A messaging user's latest conversation on a channel, with its messages, in one read
        (None: they have none yet)."""
        with self.db.session() as session:
            row = session.scalar(
                select(Conversation)
                .where(
                    Conversation.tenant == tenant,
                    Conversation.channel == channel,
                    Conversation.kb_name == kb_name,
                    Conversation.user_id == user_id,
                )
                .order_by(Conversation.created_at.desc())
                .limit(1)
            )
            if row is None:
                return None
            messages = session.scalars(
                select(ChatMessage).where(ChatMessage.conversation_id == row.id).order_by(ChatMessage.seq)
            )
            return LoadedConversation(_info(row), tuple(messages))

    def get(self, conversation_id: str) -> ConversationInfo:
        with self.db.session() as session:
            row = session.get(Conversation, conversation_id)
            if row is None:
                raise ConversationNotFound(conversation_id)
            return _info(row)

    def load(self, conversation_id: str, access: ConversationAccess | None = None) -> LoadedConversation:
        """The conversation and all its messages, in one read; one the caller may not see (access)
        is not found, the same as one that does not exist."""
        with self.db.session() as session:
            row = session.get(Conversation, conversation_id)
            if row is None or (
                access is not None and not access.allows(row.tenant, row.kb_name, row.user_profile)
            ):
                raise ConversationNotFound(conversation_id)
            messages = session.scalars(
                select(ChatMessage)
                .where(ChatMessage.conversation_id == conversation_id)
                .order_by(ChatMessage.seq)
            )
            return LoadedConversation(_info(row), tuple(messages))

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
                conversation_id=conversation_id,
                seq=int(seq or 0) + 1,
                role=role,
                content=content,
                **fields,
            )
            session.add(row)
            session.flush()
            return row
