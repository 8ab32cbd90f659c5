"""A QA score for every conversation, from deterministic signals, explained.

Every conversation starts at 100; each signal adds its weight (negative for a problem) once per
occurrence, and the total is clamped to [0, 100]. The explanation lists each signal that fired:
its code, how often, its weight, the points it cost or gave, and the messages it points at.

| signal             | weight | fires on                                                                  |
|--------------------|--------|---------------------------------------------------------------------------|
| refusal            | -15    | an answer refused because the knowledge base had no answer                 |
| low_confidence     | -10    | an answer with answerability probability below KEFU_ESCALATION_LOW_CONFIDENCE |
| guard_hit          | -10    | a customer message the input guard blocked or flagged (injection, PII, abuse, sensitive) |
| grounding_failure  | -10    | a generated draft that failed the grounding check (or an LLM error): the extractive answer stood in |
| rephrasing         | -10    | a customer message that repeats the one before (word overlap >= KEFU_ESCALATION_REPHRASE_LEXICAL) |
| slow_answer        | -5     | an answer slower than KEFU_ANALYTICS_QA_SLOW_MS (default 10 s)             |
| escalation         | -15    | the conversation was handed to a human (once)                             |
| thumbs_down        | -25    | negative feedback on an answer (thumbs down or a low 1-5 score)            |
| thumbs_up          | +10    | positive feedback on an answer                                             |

Weights can be changed with KEFU_ANALYTICS_QA_WEIGHTS (JSON, e.g. {"refusal": -20}).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from assistant.analytics.facts import ConversationFacts, Scope, load_conversations
from assistant.analytics.qa_judge import JudgedQa, QaJudge
from ingest.config import AnalyticsSettings, EscalationSettings, get_settings
from assistant.escalation.handoff import turn_outcome
from assistant.turn import Verdicts
from assistant.escalation.similarity import jaccard
from assistant.models import ChatMessage
from ingest.db import Database

DEFAULT_WEIGHTS: dict[str, float] = {
    "refusal": -15,
    "low_confidence": -10,
    "guard_hit": -10,
    "grounding_failure": -10,
    "rephrasing": -10,
    "slow_answer": -5,
    "escalation": -15,
    "thumbs_down": -25,
    "thumbs_up": 10,
}


@dataclass
class Signal:
    code: str
    count: int
    weight: float
    message_ids: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return self.count * self.weight


@dataclass
class QaScore:
    conversation_id: str
    kb: str
    channel: str
    lang: str
    day: str
    score: float
    signals: list[Signal]
    judged: JudgedQa | None = None  # the LLM judge's rating, when one is configured and asked

    def explain(self) -> str:
        parts = [f"{s.code} x{s.count} ({s.points:+g})" for s in self.signals]
        return f"{self.score:g}: " + (", ".join(parts) if parts else "no signal")


class QaScorer:
    def __init__(
        self, settings: AnalyticsSettings | None = None, escalation: EscalationSettings | None = None
    ) -> None:
        self.settings = settings or get_settings().analytics
        self.escalation = escalation or get_settings().escalation
        unknown = set(self.settings.qa_weights) - set(DEFAULT_WEIGHTS)
        if unknown:
            raise ValueError(f"unknown QA signals {sorted(unknown)}; known: {sorted(DEFAULT_WEIGHTS)}")
        self.weights = {**DEFAULT_WEIGHTS, **self.settings.qa_weights}

    def run(self, conversation: ConversationFacts) -> QaScore:
        hits: dict[str, list[str]] = {code: [] for code in DEFAULT_WEIGHTS}
        previous_question: str | None = None
        flagged = False  # the customer message being answered already counted as a guard hit
        for turn in conversation.turns:
            if turn.role == "user":
                guard = Verdicts.from_json(turn.verdicts, text=turn.content).input_guard
                flagged = guard is not None and bool(guard.flags)
                if flagged:
                    hits["guard_hit"].append(turn.id)
                if (
                    previous_question is not None
                    and jaccard(previous_question, turn.content) >= self.escalation.rephrase_lexical
                ):
                    hits["rephrasing"].append(turn.id)
                previous_question = turn.content
            elif turn.role == "assistant":
                outcome = turn_outcome(cast(ChatMessage, turn), self.escalation)
                if outcome == "refused":
                    hits["refusal"].append(turn.id)
                elif outcome == "low_confidence":
                    hits["low_confidence"].append(turn.id)
                elif outcome == "blocked" and not flagged:
                    hits["guard_hit"].append(turn.id)  # blocked (e.g. too long) with no flag on the message
                verdicts = Verdicts.from_json(turn.verdicts)
                if (verdicts.grounding is not None and not verdicts.grounding.ok) or verdicts.llm_error:
                    hits["grounding_failure"].append(turn.id)
                if turn.latency_ms is not None and turn.latency_ms > self.settings.qa_slow_ms:
                    hits["slow_answer"].append(turn.id)
        if conversation.tickets or any(t.mode == "escalated" for t in conversation.answers):
            hits["escalation"].append(conversation.id)
        for f in conversation.feedback:
            code = (
                "thumbs_down"
                if self.settings.is_negative(f.rating, f.score)
                else "thumbs_up"
                if f.rating > 0
                else None
            )
            if code:
                hits[code].append(f.message_id)
        signals = [Signal(code, len(ids), self.weights[code], ids) for code, ids in hits.items() if ids]
        score = max(0.0, min(100.0, 100 + sum(s.points for s in signals)))
        return QaScore(
            conversation.id,
            conversation.kb,
            conversation.channel,
            conversation.lang,
            conversation.day,
            round(score, 2),
            signals,
        )


class QaService:
    """QA scores of every conversation in a scope with at least one customer message, worst first."""

    def __init__(
        self, database: Database, scorer: QaScorer | None = None, judge: QaJudge | None = None
    ) -> None:
        self.db = database
        self.scorer = scorer or QaScorer()
        self.judge = judge

    def run(self, scope: Scope, *, limit: int | None = None) -> list[QaScore]:
        """Worst first; with a judge, the `limit` worst are also judged (one LLM call each)."""
        conversations = {c.id: c for c in load_conversations(self.db, scope) if c.user_turns}
        scores = sorted(
            (self.scorer.run(c) for c in conversations.values()), key=lambda s: (s.score, s.conversation_id)
        )
        scores = scores[:limit] if limit is not None else scores
        if self.judge is not None:
            for score in scores:
                score.judged = self.judge.run(conversations[score.conversation_id])
        return scores

    def one(self, conversation_id: str) -> QaScore | None:
        found = load_conversations(self.db, None, extra_ids=[conversation_id])
        if not found:
            return None
        score = self.scorer.run(found[0])
        if self.judge is not None:
            score.judged = self.judge.run(found[0])
        return score


def mean_score(scores: Sequence[QaScore]) -> float | None:
    return round(sum(s.score for s in scores) / len(scores), 2) if scores else None
