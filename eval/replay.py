"""Replay: simulate a knowledge-base version on real traffic before customers get it.

The customer turns of a time window (their questions and the histories they were asked in, read
from the conversation store) are answered again against a version of the knowledge base (the
draft by default: what `kefu kb publish` would put live), and each new answer is set beside the
reply the customer was given. A turn *changed* when the answer text, the refusal or the cited
documents differ. Stored messages are already redacted by the input guard; every replayed text
goes through the PII redaction again (assistant.guards.pii), so rows stored before redaction was
on, or an agent's reply in a history, leave no personal data in the report.

A turn held by a human agent got no bot reply; it is not replayed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, UTC
from typing import Any

from sqlalchemy import select

from assistant.guards.pii import PiiRedactor
from assistant.models import ChatMessage, Conversation
from ingest.config import Settings
from ingest.db import Database
from ingest.versions import VersionRef

REFUSAL_MODES = frozenset({"refused", "escalated"})  # not answering from the knowledge base


@dataclass
class ReplayReply:
    text: str
    mode: str | None
    refused: bool
    cited: list[str]  # the cited documents' sources, in citation order
    kb_version: int | None

    @classmethod
    def stored(cls, message: ChatMessage) -> ReplayReply:
        return cls(
            text=message.content,
            mode=message.mode,
            refused=message.mode in REFUSAL_MODES,
            cited=[str(c.get("source") or c.get("doc_id")) for c in message.citations or []],
            kb_version=message.kb_version,
        )


@dataclass
class ReplayTurn:
    conversation_id: str
    seq: int  # of the customer's message
    asked_at: str
    question: str  # redacted
    history: list[dict[str, str]]  # the turns before it, redacted, oldest first
    before: ReplayReply  # what the customer was given
    after: ReplayReply | None = None  # the replayed answer
    changes: list[str] = field(default_factory=list)  # "answer", "refusal", "citations"
    error: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.changes) or self.error is not None


@dataclass
class ReplayResult:
    kb: str
    version: str  # as asked: "draft", "published" or a number
    kb_version: int | None  # the number it named when replayed
    since: str
    until: str
    created_at: str
    turns: list[ReplayTurn]
    duration_s: float = 0.0
    report_paths: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> list[ReplayTurn]:
        return [turn for turn in self.turns if turn.changed]

    def counts(self) -> dict[str, int]:
        changed = self.changed
        return {
            "turns": len(self.turns),
            "changed": len(changed),
            "answer": sum("answer" in t.changes for t in changed),
            "refusal": sum("refusal" in t.changes for t in changed),
            "citations": sum("citations" in t.changes for t in changed),
            "errors": sum(t.error is not None for t in changed),
        }

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "counts": self.counts()}


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def changes(before: ReplayReply, after: ReplayReply) -> list[str]:
    """What differs between two replies: the answer text (whitespace aside), whether it refused,
    the set of cited documents."""
    found = []
    if not _same_text(before.text, after.text):
        found.append("answer")
    if before.refused != after.refused:
        found.append("refusal")
    if set(before.cited) != set(after.cited):
        found.append("citations")
    return found


def load_turns(
    database: Database,
    kb: str,
    since: datetime,
    until: datetime,
    *,
    tenant: str | None = None,
    history_window: int = 6,
    limit: int | None = None,
    redactor: PiiRedactor | None = None,
) -> list[ReplayTurn]:
    """The bot-answered customer turns of `kb` asked in [since, until), oldest first, each with
    the last `history_window` messages before it and the reply it got; texts redacted."""
    redact = (redactor or PiiRedactor()).run
    with database.session() as session:
        query = (
            select(ChatMessage)
            .join(Conversation, Conversation.id == ChatMessage.conversation_id)
            .where(
                Conversation.kb_name == kb,
                ChatMessage.role == "user",
                ChatMessage.created_at >= since,
                ChatMessage.created_at < until,
            )
            .order_by(ChatMessage.created_at, ChatMessage.conversation_id, ChatMessage.seq)
        )
        if tenant is not None:
            query = query.where(Conversation.tenant == tenant)
        asked = list(session.scalars(query))
        threads: dict[str, list[ChatMessage]] = {}
        turns: list[ReplayTurn] = []
        for message in asked:
            if limit is not None and len(turns) >= limit:
                break
            thread = threads.get(message.conversation_id)
            if thread is None:
                thread = threads[message.conversation_id] = list(
                    session.scalars(
                        select(ChatMessage)
                        .where(ChatMessage.conversation_id == message.conversation_id)
                        .order_by(ChatMessage.seq)
                    )
                )
            reply = _reply_to(thread, message.seq)
            if reply is None:
                continue
            earlier = [m for m in thread if m.seq < message.seq and m.role != "system"]
            window = earlier[-history_window:] if history_window > 0 else []
            turns.append(
                ReplayTurn(
                    conversation_id=message.conversation_id,
                    seq=message.seq,
                    asked_at=message.created_at.isoformat(timespec="seconds"),
                    question=redact(message.content).text,
                    history=[
                        # An agent's message reaches the answerer as the assistant's side.
                        {
                            "role": "user" if m.role == "user" else "assistant",
                            "content": redact(m.content).text,
                        }
                        for m in window
                    ],
                    before=_redacted(ReplayReply.stored(reply), redact),
                )
            )
    return turns


def _reply_to(thread: list[ChatMessage], seq: int) -> ChatMessage | None:
    """The bot's reply to the customer message at `seq`: the next assistant message before the
    customer's next message."""
    for message in thread:
        if message.seq <= seq or message.role == "system":
            continue
        if message.role == "assistant":
            return message
        if message.role == "user":
            return None
    return None


def _redacted(reply: ReplayReply, redact: Callable[[str], Any]) -> ReplayReply:
    reply.text = redact(reply.text).text
    return reply


# question, history -> the replayed reply
ReplayAnswer = Callable[[str, list[dict[str, str]]], ReplayReply]


def replay_turns(turns: Iterable[ReplayTurn], answer: ReplayAnswer) -> list[ReplayTurn]:
    """Answer every turn again (in place); a failure is recorded on the turn, not raised."""
    done = []
    for turn in turns:
        try:
            turn.after = answer(turn.question, [dict(t) for t in turn.history])
        except Exception as exc:  # a failing version is a finding of the simulation
            turn.error = f"{type(exc).__name__}: {exc}"
        else:
            turn.changes = changes(turn.before, turn.after)
        done.append(turn)
    return done


def version_answerer(settings: Settings, database: Database, kb: str, version: VersionRef) -> ReplayAnswer:
    """kefu's answer steps (assistant.answering.Answerer: guards, condense, retrieval,
    answerability, answer, grounding) on `version` of the knowledge base (the question carries
    it, as a release arm's does); nothing is recorded."""
    from assistant.answering import Answerer
    from assistant.turn import Question
    from assistant.types import Message

    answerer = Answerer(settings, database=database)

    def answer(question: str, history: list[dict[str, str]]) -> ReplayReply:
        result = answerer.run(
            Question.of(
                question,
                kb,
                [Message(role=t["role"], content=t["content"]) for t in history],  # type: ignore[arg-type]
                None,
                version,
            )
        )
        return ReplayReply(
            text=result.text,
            mode=result.mode,
            refused=result.mode in REFUSAL_MODES,
            cited=[c.source for c in result.citations],
            kb_version=result.kb_version,
        )

    return answer


def replay(
    settings: Settings,
    database: Database,
    kb: str,
    since: datetime,
    until: datetime,
    *,
    version: VersionRef = "draft",
    tenant: str | None = None,
    limit: int | None = None,
    answer: ReplayAnswer | None = None,
) -> ReplayResult:
    """Load the window's turns and answer them against `version` (see the module docstring)."""
    from ingest.registry import get_kb
    from ingest.versions import get_version, resolve

    started = time.perf_counter()
    with database.session() as session:
        row = get_kb(session, kb)
        number = resolve(row, version)
        if isinstance(version, int):
            get_version(session, row, version)  # VersionNotFound before anything is answered
    turns = load_turns(
        database,
        kb,
        since,
        until,
        tenant=tenant,
        limit=limit,
        # As many earlier messages as the answerer's condense step looks at.
        history_window=settings.retrieval.condense_history_messages,
    )
    if turns and answer is None:
        answer = version_answerer(settings, database, kb, number if number is not None else version)
    replayed = replay_turns(turns, answer) if answer is not None else turns
    return ReplayResult(
        kb=kb,
        version=str(version),
        kb_version=number,
        since=since.isoformat(timespec="seconds"),
        until=until.isoformat(timespec="seconds"),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        turns=replayed,
        duration_s=round(time.perf_counter() - started, 2),
    )
