"""From stored messages to what the policy and the agent need.

session_context()  the turns since the last handoff, as the policy's TurnContext
HandoffBuilder     the handoff package: customer, transcript, every bot attempt with its evidence,
                   guard verdicts, the reasons, and a summary
Stored verdicts are read as the typed record they were written from (assistant.turn.Verdicts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from assistant.conversations import ConversationInfo
from ingest.config import EscalationSettings
from assistant.escalation.types import EscalationDecision, TurnContext, TurnOutcome, TurnRecord
from assistant.models import ChatMessage
from assistant.summary import Attempt, HandoffSummarizer, SummaryInput
from assistant.turn import InputGuardVerdict, Verdicts
from assistant.types import Message
from ingest.models import utcnow


def verdicts_of(message: ChatMessage) -> Verdicts:
    return Verdicts.from_json(message.verdicts, text=message.content)


def input_guard_of(message: ChatMessage) -> InputGuardVerdict:
    """The input guard's verdict on a customer message (an empty one for a message stored unchecked)."""
    return verdicts_of(message).input_guard or InputGuardVerdict(message.content)


def turn_outcome(reply: ChatMessage, config: EscalationSettings) -> TurnOutcome:
    verdicts = verdicts_of(reply)
    if reply.mode == "escalated":
        return "escalated"
    if reply.mode == "refused":
        # The input guard refuses before retrieval: a blocked message, not a question the
        # knowledge base could not answer.
        return "blocked" if verdicts.input_guard is not None and verdicts.input_guard.blocked else "refused"
    if verdicts.answerability is not None and verdicts.answerability.probability < config.low_confidence:
        return "low_confidence"
    return "answered"


def is_handoff_marker(message: ChatMessage) -> bool:
    return message.role == "system" and "escalation" in (message.verdicts or {})


def session_pairs(messages: Sequence[ChatMessage]) -> list[tuple[ChatMessage, ChatMessage]]:
    """(customer message, bot reply) pairs after the last handoff marker, oldest first."""
    start = max((i + 1 for i, m in enumerate(messages) if is_handoff_marker(m)), default=0)
    pairs = []
    pending: ChatMessage | None = None
    for message in messages[start:]:
        if message.role == "user":
            pending = message
        elif message.role == "assistant" and pending is not None:
            pairs.append((pending, message))
            pending = None
    return pairs


def session_context(
    conversation_id: str, messages: Sequence[ChatMessage], config: EscalationSettings
) -> TurnContext | None:
    turns = []
    for user, reply in session_pairs(messages):
        guard = input_guard_of(user)
        answerability = verdicts_of(reply).answerability
        outcome = turn_outcome(reply, config)
        turns.append(
            TurnRecord(
                user=user.content,
                outcome=outcome,
                confidence=answerability.probability if answerability is not None else None,
                block_reason=(guard.reason or "blocked") if outcome == "blocked" else None,
                guard_flags=guard.flags,
                message_id=reply.id,
            )
        )
    if not turns:
        return None
    lang = next((m.lang for m in reversed(messages) if m.role == "user" and m.lang), "en")
    return TurnContext(turns, conversation_id=conversation_id, lang=lang)


@dataclass
class HandoffPackage:
    conversation_id: str
    tenant: str
    kb_name: str
    customer: dict[str, Any]  # user id, channel, language, profile from the channel
    reasons: list[dict[str, str]]  # {"code", "detail", "evidence"} per rule that fired
    priority: int
    summary: dict[str, Any]  # assistant.summary.HandoffSummary
    transcript: list[dict[str, Any]]
    attempts: list[dict[str, Any]]  # every bot reply with its evidence and verdicts
    guard_verdicts: list[dict[str, Any]]  # the input guard's verdicts per customer message
    created_at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _json(verdict: Any) -> dict[str, Any] | None:
    return verdict.to_json() if verdict is not None else None


def _attempt(user: ChatMessage, reply: ChatMessage, config: EscalationSettings) -> dict[str, Any]:
    verdicts = verdicts_of(reply)
    return {
        "message_id": reply.id,
        "seq": reply.seq,
        "question": user.content,
        "query": reply.query,
        "mode": reply.mode,
        "outcome": turn_outcome(reply, config),
        "answer": reply.content,
        "sources": list(reply.sources or []),
        "citations": list(reply.citations or []),
        "answerability": _json(verdicts.answerability),
        "grounding": _json(verdicts.grounding),
        "output_guard": _json(verdicts.output_guard),
        "llm_error": verdicts.llm_error,
        "model": reply.model,
        "kb_version": reply.kb_version,
        "at": _iso(reply.created_at),
    }


def _summary_attempt(attempt: dict[str, Any]) -> Attempt:
    # "answered" says less than the mode that produced the answer (generated / extractive).
    outcome = attempt["outcome"]
    return Attempt(
        question=attempt["question"],
        mode=attempt["mode"] if outcome == "answered" else outcome,
        sources=tuple(dict.fromkeys(s.get("title") or s.get("source", "") for s in attempt["sources"][:3])),
        probability=(attempt["answerability"] or {}).get("probability"),
    )


class HandoffBuilder:
    def __init__(self, summarizer: HandoffSummarizer, config: EscalationSettings) -> None:
        self.summarizer = summarizer
        self.config = config

    def run(
        self,
        conversation: ConversationInfo,
        messages: Sequence[ChatMessage],
        decision: EscalationDecision,
    ) -> HandoffPackage:
        attempts = [_attempt(user, reply, self.config) for user, reply in session_pairs(messages)]
        visible = [m for m in messages if m.role != "system"]
        summary = self.summarizer.run(
            SummaryInput(
                messages=[Message(role=m.role, content=m.content) for m in visible],
                attempts=[_summary_attempt(a) for a in attempts],
                reasons=[hit.detail for hit in decision.hits],
            )
        )
        lang = next((m.lang for m in reversed(visible) if m.role == "user" and m.lang), None)
        return HandoffPackage(
            conversation_id=conversation.id,
            tenant=conversation.tenant,
            kb_name=conversation.kb_name,
            customer={
                "user_id": conversation.user_id,
                "channel": conversation.channel,
                "lang": lang,
                "profile": dict(conversation.user_profile),
            },
            reasons=[asdict(hit) for hit in decision.hits],
            priority=decision.priority,
            summary=asdict(summary),
            transcript=[
                {
                    "seq": m.seq,
                    "role": m.role,
                    "content": m.content,
                    "mode": m.mode,
                    "author": m.author,
                    "at": _iso(m.created_at),
                }
                for m in visible
            ],
            attempts=attempts,
            guard_verdicts=[
                {"seq": m.seq, "flags": list(guard.flags), "verdicts": list(guard.checks)}
                for m in visible
                if m.role == "user" and (guard := input_guard_of(m)) is not None
            ],
            created_at=utcnow().isoformat(),
        )
