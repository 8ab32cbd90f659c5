"""Handoff summary: what a human agent reads first when a conversation is escalated.

A capable hosted model (model_capabilities(...).can_rewrite) writes it from the transcript; the
small local model cannot summarise reliably, so without one (or when the call fails) it is built
extractively: the customer's main questions, what the bot tried, why it escalated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from assistant.escalation.lexicon import is_affirmative, is_substantive
from assistant.escalation.similarity import jaccard
from assistant.llm.capabilities import model_capabilities
from assistant.llm.client import LLMClient, LLMError, LLMReply
from assistant.types import Message
from ingest.config import Settings

MAX_QUESTIONS = 3
MAX_TRANSCRIPT_MESSAGES = 20
MAX_MESSAGE_CHARS = 300
SUMMARY_MAX_TOKENS = 160

_PROMPT = (
    "You write handoff notes for customer-service agents. In at most three short sentences, say "
    "(1) what the customer wants, (2) what the assistant already tried, (3) why the conversation "
    "was escalated. Use only facts from the transcript; do not greet, do not answer the customer."
)


class Completer(Protocol):
    def complete(
        self, messages: Sequence[Message | dict[str, str]], *, max_tokens: int | None = None
    ) -> LLMReply: ...


@dataclass(frozen=True)
class Attempt:
    """One bot reply as the summary sees it."""

    question: str
    mode: str  # generated | extractive | refused | blocked | low_confidence
    sources: tuple[str, ...] = ()  # titles of the passages it cited or retrieved
    probability: float | None = None  # answerability


@dataclass
class SummaryInput:
    messages: list[Message]  # the transcript, oldest first
    attempts: list[Attempt]
    reasons: list[str]  # why it escalated, one line per rule that fired


@dataclass
class HandoffSummary:
    text: str
    method: Literal["llm", "extractive"]
    questions: list[str] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    error: str | None = None  # the LLM failure that made it fall back


def main_questions(messages: Sequence[Message]) -> list[str]:
    """The customer's distinct questions, oldest first: requests for a human, bare yeses and
    near-repeats of an earlier question are left out."""
    said = [m.content.strip() for m in messages if m.role == "user" and m.content.strip()]
    picked: list[str] = []
    for text in [t for t in said if is_substantive(t)] or [t for t in said if not is_affirmative(t)]:
        if all(jaccard(text, earlier) < 0.5 for earlier in picked):
            picked.append(text)
    return picked[:MAX_QUESTIONS]


def _tried(attempt: Attempt) -> str:
    where = f" from {', '.join(repr(s) for s in attempt.sources[:2])}" if attempt.sources else ""
    confidence = f", p={attempt.probability:.2f}" if attempt.probability is not None else ""
    described = {
        "refused": f"refused: not in the knowledge base{confidence}",
        "blocked": "blocked by the input guard",
        "low_confidence": f"low-confidence answer{where}{confidence}",
        "generated": f"answered{where}",
        "extractive": f"quoted{where}",
    }.get(attempt.mode, attempt.mode)
    return f"{attempt.question[:80]!r} -> {described}"


class HandoffSummarizer:
    def __init__(self, settings: Settings, *, llm: Completer | None = None) -> None:
        self.use_llm = model_capabilities(settings.llm_model).can_rewrite
        self.llm: Completer | None = llm or (LLMClient(settings) if self.use_llm else None)

    def run(self, data: SummaryInput) -> HandoffSummary:
        summary = self._extractive(data)
        if not self.use_llm or self.llm is None:
            return summary
        try:
            reply = self.llm.complete(self._prompt(data), max_tokens=SUMMARY_MAX_TOKENS)
        except LLMError as exc:
            summary.error = str(exc)
            return summary
        if not reply.text.strip():
            summary.error = "the LLM returned an empty summary"
            return summary
        summary.text, summary.method = reply.text.strip(), "llm"
        return summary

    def _extractive(self, data: SummaryInput) -> HandoffSummary:
        questions = main_questions(data.messages)
        tried = [_tried(a) for a in data.attempts]
        parts = []
        if questions:
            parts.append("Customer asked: " + "; ".join(f"“{q}”" for q in questions) + ".")
        if tried:
            parts.append(f"Bot ({len(tried)} replies): " + "; ".join(tried) + ".")
        parts.append("Escalated: " + "; ".join(data.reasons) + ".")
        return HandoffSummary(" ".join(parts), "extractive", questions, tried, list(data.reasons))

    def _prompt(self, data: SummaryInput) -> list[dict[str, str]]:
        lines = [
            f"{m.role}: {m.content[:MAX_MESSAGE_CHARS]}" for m in data.messages[-MAX_TRANSCRIPT_MESSAGES:]
        ]
        reasons = "\n".join(f"- {r}" for r in data.reasons)
        return [
            {"role": "system", "content": _PROMPT},
            {
                "role": "user",
                "content": "Transcript:\n" + "\n".join(lines) + f"\n\nEscalation reasons:\n{reasons}",
            },
        ]
