"""What one turn knows, as frozen values: each answer step takes some of them and returns a new one.

Question             the customer's message, its language (decided once, here) and the history
InputGuardVerdict    the redacted message, whether it is blocked and why, what the guard noticed
Retrieval            the standalone query and the numbered passages with their typed scores
AnswerDecision       refuse, extract or generate, with the answerability and gate verdicts
Draft                the answer text before the checks (generated, extractive or a refusal)
GroundingVerdict     whether a generated draft is supported by the passages it cites
OutputGuardVerdict   what the output guard found in the answer
EscalationVerdict    the ticket a turn opened, and the bot's reply the customer did not get
Verdicts             every check of the turn: the one record written to and read from SQL
                     (ChatMessage.verdicts), via to_json / from_json
AnswerResult         the decided reply: what is stored, returned and streamed last
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from assistant.retrieval.types import RetrievalFilters
from assistant.types import AnswerMode, Citation, Message, Passage
from ingest.text import Lang, detect_language
from ingest.versions import VersionRef

Route = Literal["refuse", "extract", "generate"]
Json = dict[str, Any]


@dataclass(frozen=True)
class Question:
    text: str  # as the customer sent it; only the input guard's redacted form is stored
    lang: Lang  # every step answers, refuses and checks in this language
    kb: str
    history: tuple[Message, ...] = ()
    filters: RetrievalFilters | None = None
    version: VersionRef = "published"  # of the knowledge base: the release arm's (assistant.releases)

    @classmethod
    def of(
        cls,
        text: str,
        kb: str,
        history: Sequence[Message] = (),
        filters: RetrievalFilters | None = None,
        version: VersionRef = "published",
    ) -> Question:
        return cls(
            text=text,
            lang=detect_language(text),
            kb=kb,
            history=tuple(history),
            filters=filters,
            version=version,
        )


# -- verdicts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputGuardVerdict:
    text: str  # the message with PII redacted: the only form that leaves the guard
    blocked: bool = False
    reason: str | None = None  # the first block rule that fired: prompt_injection | abuse | too_long
    refusal: str | None = None  # the reply to a blocked message
    # What the guard noticed, blocking or not: "injection", "pii", "abuse:<category>", "sensitive:<category>".
    flags: tuple[str, ...] = ()
    checks: tuple[Json, ...] = ()  # each guard's own record, for the audit trail and the agent

    @classmethod
    def of(cls, result: Any) -> InputGuardVerdict:
        """From assistant.guards.InputGuardResult."""
        flags = [
            name for name, hit in (("injection", result.injection.flagged), ("pii", bool(result.pii))) if hit
        ]
        flags += [f"abuse:{category}" for category in sorted({hit.category for hit in result.abuse})]
        flags += [f"sensitive:{category}" for category in result.sensitive_categories]
        return cls(
            text=result.text,
            blocked=result.blocked,
            reason=result.block_reason,
            refusal=result.refusal,
            flags=tuple(flags),
            checks=tuple(result.verdicts),
        )

    def to_json(self) -> Json:
        return {
            "blocked": self.blocked,
            "reason": self.reason,
            "flags": list(self.flags),
            "checks": list(self.checks),
        }

    @classmethod
    def from_json(cls, data: Json, text: str = "") -> InputGuardVerdict:
        return cls(
            text=text,
            blocked=bool(data.get("blocked")),
            reason=data.get("reason"),
            flags=tuple(data.get("flags") or ()),
            checks=tuple(data.get("checks") or ()),
        )


@dataclass(frozen=True)
class AnswerabilityVerdict:
    answerable: bool
    probability: float  # P(answerable)
    reason: str

    def to_json(self) -> Json:
        return {
            "answerable": self.answerable,
            "probability": round(self.probability, 4),
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Json) -> AnswerabilityVerdict:
        return cls(bool(data["answerable"]), float(data["probability"]), str(data.get("reason", "")))


@dataclass(frozen=True)
class GateVerdict:
    """The generation gate's decision for this turn (assistant.generation_gate)."""

    draft: bool
    probe: bool = False
    grounded: int = 0  # grounded drafts among the recent ones
    recent: int = 0

    @classmethod
    def of(cls, decision: Any) -> GateVerdict:
        """From assistant.generation_gate.GateDecision."""
        return cls(
            draft=decision.draft, probe=decision.probe, grounded=decision.grounded, recent=decision.recent
        )

    def to_json(self) -> Json:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Json) -> GateVerdict:
        return cls(
            bool(data["draft"]),
            bool(data.get("probe")),
            int(data.get("grounded", 0)),
            int(data.get("recent", 0)),
        )


@dataclass(frozen=True)
class GroundingVerdict:
    ok: bool
    score: float
    reasons: tuple[str, ...] = ()

    def to_json(self) -> Json:
        return {"ok": self.ok, "score": round(self.score, 4), "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, data: Json) -> GroundingVerdict:
        return cls(bool(data["ok"]), float(data["score"]), tuple(data.get("reasons") or ()))


@dataclass(frozen=True)
class OutputViolation:
    code: str  # pii_leak | invalid_citation | lang_mismatch | too_long | policy_word | abusive_output
    detail: str
    data: Json = field(default_factory=dict)


@dataclass(frozen=True)
class OutputGuardVerdict:
    ok: bool
    violations: tuple[OutputViolation, ...] = ()

    @classmethod
    def of(cls, result: Any) -> OutputGuardVerdict:
        """From assistant.guards.OutputGuardResult."""
        return cls(
            result.ok, tuple(OutputViolation(v.code, v.detail, dict(v.data)) for v in result.violations)
        )

    @property
    def codes(self) -> list[str]:
        return [v.code for v in self.violations]

    def to_json(self) -> Json:
        return {"ok": self.ok, "violations": [asdict(v) for v in self.violations]}

    @classmethod
    def from_json(cls, data: Json) -> OutputGuardVerdict:
        return cls(bool(data["ok"]), tuple(OutputViolation(**v) for v in data.get("violations") or ()))


@dataclass(frozen=True)
class EscalationVerdict:
    """The ticket this turn opened (or the conversation's open one), and what the bot would have said."""

    ticket_id: int
    reasons: tuple[str, ...]
    priority: int
    bot_text: str
    bot_mode: AnswerMode

    def to_json(self) -> Json:
        return {**asdict(self), "reasons": list(self.reasons)}

    @classmethod
    def from_json(cls, data: Json) -> EscalationVerdict:
        return cls(
            int(data["ticket_id"]),
            tuple(data.get("reasons") or ()),
            int(data.get("priority", 3)),
            str(data.get("bot_text", "")),
            data.get("bot_mode", "refused"),
        )


@dataclass(frozen=True)
class Verdicts:
    """Every check of one turn; absent (None) when the turn did not get that far."""

    input_guard: InputGuardVerdict | None = None
    condense: str | None = None  # unchanged | rule | llm
    planted_instructions: tuple[str, ...] = ()  # chunk ids whose planted instructions were neutralised
    answerability: AnswerabilityVerdict | None = None
    generation_gate: GateVerdict | None = None
    llm_error: str | None = None
    grounding: GroundingVerdict | None = None
    output_guard: OutputGuardVerdict | None = None
    escalation: EscalationVerdict | None = None

    def to_json(self) -> Json:
        data: Json = {}
        for name in (
            "input_guard",
            "answerability",
            "generation_gate",
            "grounding",
            "output_guard",
            "escalation",
        ):
            verdict = getattr(self, name)
            if verdict is not None:
                data[name] = verdict.to_json()
        if self.condense is not None:
            data["condense"] = self.condense
        if self.planted_instructions:
            data["planted_instructions"] = list(self.planted_instructions)
        if self.llm_error is not None:
            data["llm_error"] = self.llm_error
        return data

    @classmethod
    def from_json(cls, data: Json | None, *, text: str = "") -> Verdicts:
        """From a stored ChatMessage.verdicts; text: the message's content (the guard's redacted text)."""
        data = data or {}

        def typed(name: str, parse: Any) -> Any:
            value = data.get(name)
            return parse(value) if isinstance(value, dict) else None

        return cls(
            input_guard=typed("input_guard", lambda v: InputGuardVerdict.from_json(v, text)),
            condense=data.get("condense"),
            planted_instructions=tuple(data.get("planted_instructions") or ()),
            answerability=typed("answerability", AnswerabilityVerdict.from_json),
            generation_gate=typed("generation_gate", GateVerdict.from_json),
            llm_error=data.get("llm_error"),
            grounding=typed("grounding", GroundingVerdict.from_json),
            output_guard=typed("output_guard", OutputGuardVerdict.from_json),
            escalation=typed("escalation", EscalationVerdict.from_json),
        )


# -- between the steps ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Retrieval:
    query: str  # the standalone query the passages were retrieved for
    passages: tuple[Passage, ...]  # best first, numbered n = 1..len, planted instructions neutralised
    kb_version: int | None = None
    term_weights: Mapping[str, float] = field(default_factory=dict)  # query term -> IDF in the KB
    planted: tuple[str, ...] = ()  # chunk ids whose planted instructions were neutralised


@dataclass(frozen=True)
class AnswerDecision:
    route: Route
    answerability: AnswerabilityVerdict | None = None
    gate: GateVerdict | None = None


@dataclass(frozen=True)
class Draft:
    """An answer before the output checks."""

    text: str
    mode: AnswerMode
    citations: tuple[int, ...] = ()  # passage numbers the text cites
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


# -- the decided reply ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerResult:
    text: str
    mode: AnswerMode
    lang: Lang
    question: str  # the customer's message as stored: redacted by the input guard
    query: str
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    verdicts: Verdicts
    timings_ms: Mapping[str, float]
    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    kb_version: int | None = None
    arm: str | None = None  # the release arm that answered (assistant.releases)
    conversation_id: str | None = None
    message_id: str | None = None  # the stored reply

    @property
    def refused(self) -> bool:
        return self.mode == "refused"

    def stored(self, conversation_id: str, message_id: str | None) -> AnswerResult:
        return replace(self, conversation_id=conversation_id, message_id=message_id)
