"""Data passed to and from the escalation policy: the session's turns in, a decision out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# What the bot did with one customer message.
TurnOutcome = Literal["answered", "low_confidence", "refused", "blocked", "escalated"]
FAILED_OUTCOMES: frozenset[str] = frozenset({"refused", "low_confidence"})


@dataclass(frozen=True)
class TurnRecord:
    """One customer message and the bot's outcome for it.

    user: the message as stored (PII already redacted). confidence: the answerability
    probability when the bot got that far. block_reason: the input guard's reason when blocked
    ("prompt_injection", "abuse", "too_long"). guard_flags: what the input guard noticed without
    necessarily blocking ("injection", "abuse:profanity", "sensitive:complaint", ...).
    """

    user: str
    outcome: TurnOutcome
    confidence: float | None = None
    block_reason: str | None = None
    guard_flags: tuple[str, ...] = ()
    message_id: str | None = None  # the bot's reply, when it was recorded


@dataclass
class TurnContext:
    """The session since the last handoff ended, oldest first; the last turn is the one just answered."""

    turns: list[TurnRecord]
    conversation_id: str | None = None
    lang: str = "en"

    def __post_init__(self) -> None:
        if not self.turns:
            raise ValueError("a turn context needs at least the current turn")

    @property
    def current(self) -> TurnRecord:
        return self.turns[-1]

    @property
    def earlier(self) -> list[TurnRecord]:
        return self.turns[:-1]


@dataclass(frozen=True)
class RuleHit:
    code: str  # the rule's reason code
    detail: str  # why, for the agent ("2 refused answers in this session")
    evidence: str = ""  # the customer text that fired it


@dataclass
class EscalationDecision:
    hits: list[RuleHit]
    priority: int = 3  # 1 urgent, 2 high, 3 normal

    @property
    def reason_codes(self) -> list[str]:
        return list(dict.fromkeys(hit.code for hit in self.hits))
