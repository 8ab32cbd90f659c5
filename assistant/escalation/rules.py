"""Escalation rules: one class per reason code, each a `kefu.escalation_rules` plug-in.

Each rule looks at the session (TurnContext) after the bot has answered the current turn and
returns a RuleHit when the conversation should go to a human. Add a rule by subclassing
EscalationRule, registering it as an entry point named by its code (kefu's own are in
pyproject.toml), and listing its code in EscalationSettings.rules.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from assistant.escalation.amounts import find_amounts
from ingest.config import EscalationSettings
from assistant.escalation.lexicon import (
    COMPLAINT,
    HUMAN_REQUEST,
    LEGAL_THREAT,
    REFUND,
    Intent,
    is_affirmative,
    is_substantive,
    prepare,
)
from assistant.escalation.sentiment import FrustrationScorer
from assistant.escalation.similarity import QuestionSimilarity
from assistant.escalation.types import FAILED_OUTCOMES, RuleHit, TurnContext
from ingest.embedding import Embedder


class EscalationRule(ABC):
    code: ClassVar[str]

    def __init__(self, config: EscalationSettings, embedder: Embedder | None) -> None:
        self.config = config

    @abstractmethod
    def run(self, context: TurnContext) -> RuleHit | None: ...


def _quote(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ExplicitRequestRule(EscalationRule):
    """The customer asks for a person, or says yes when a refusal offered one."""

    code = "explicit_request"

    def run(self, context: TurnContext) -> RuleHit | None:
        text = context.current.user
        match = HUMAN_REQUEST.find(prepare(text))
        if match:
            return RuleHit(self.code, f"asked for a human ({match!r})", _quote(text))
        # Every refusal ends with an offer of a human agent (assistant.pipeline.NOT_IN_KB).
        if context.earlier and context.earlier[-1].outcome == "refused" and is_affirmative(text):
            return RuleHit(self.code, "accepted the offer of a human agent", _quote(text))
        return None


class GuardrailRule(EscalationRule):
    """The input guard blocked the message for a reason a person should handle."""

    code = "guardrail"

    def run(self, context: TurnContext) -> RuleHit | None:
        turn = context.current
        if turn.outcome == "blocked" and turn.block_reason in self.config.guardrail_reasons:
            return RuleHit(
                self.code, f"input guard blocked the message ({turn.block_reason})", _quote(turn.user)
            )
        return None


class _IntentRule(EscalationRule):
    intent: ClassVar[Intent]
    label: ClassVar[str]

    def run(self, context: TurnContext) -> RuleHit | None:
        match = self.intent.find(prepare(context.current.user))
        if match:
            return RuleHit(self.code, f"{self.label} ({match!r})", _quote(context.current.user))
        return None


class LegalThreatRule(_IntentRule):
    code = "legal_threat"
    intent = LEGAL_THREAT
    label = "legal or regulatory threat"


class ComplaintRule(_IntentRule):
    code = "complaint"
    intent = COMPLAINT
    label = "wants to complain"


class HighValueRefundRule(EscalationRule):
    """A refund (or compensation) of at least the configured amount in its currency. The refund
    and the amount may come in different messages; one of them must be in this turn."""

    code = "high_value_refund"

    def run(self, context: TurnContext) -> RuleHit | None:
        mentions = [REFUND.find(prepare(turn.user)) is not None for turn in context.turns]
        if not any(mentions):
            return None
        # A refund asked for now may name an amount given earlier; a refund asked for earlier
        # fires only on a new amount, so one conversation does not fire twice on the same facts.
        turns = context.turns if mentions[-1] else [context.current]
        for turn in turns:
            for amount in find_amounts(turn.user):
                threshold = self.config.refund_thresholds.get(amount.currency)
                if threshold is not None and amount.value >= threshold:
                    detail = f"refund of {amount.text} (threshold {threshold:g} {amount.currency})"
                    return RuleHit(self.code, detail, _quote(context.current.user))
        return None


class FrustrationRule(EscalationRule):
    """Angry or exasperated wording, punctuation or capitals in this turn."""

    code = "frustration"

    def __init__(self, config: EscalationSettings, embedder: Embedder | None) -> None:
        super().__init__(config, embedder)
        self.scorer = FrustrationScorer()

    def run(self, context: TurnContext) -> RuleHit | None:
        scored = self.scorer.run(context.current.user, context.current.guard_flags)
        if scored.score >= self.config.frustration_score:
            detail = f"frustration {scored.score:.1f} ({', '.join(scored.cues)})"
            return RuleHit(self.code, detail, _quote(context.current.user))
        return None


class RepeatedFailureRule(EscalationRule):
    """max_failures refused or low-confidence answers to questions since the last handoff."""

    code = "repeated_failure"

    def run(self, context: TurnContext) -> RuleHit | None:
        if context.current.outcome not in FAILED_OUTCOMES:
            return None
        # A refused "转人工" or "yes please" is not a question the knowledge base failed on.
        failed = [
            turn for turn in context.turns if turn.outcome in FAILED_OUTCOMES and is_substantive(turn.user)
        ]
        if len(failed) < self.config.max_failures:
            return None
        kinds = ", ".join(sorted({turn.outcome for turn in failed}))
        return RuleHit(
            self.code, f"{len(failed)} failed answers in this session ({kinds})", _quote(context.current.user)
        )


class RephrasingRule(EscalationRule):
    """The customer asked the same question again max_rephrasings times in a row."""

    code = "rephrasing"

    def __init__(self, config: EscalationSettings, embedder: Embedder | None) -> None:
        super().__init__(config, embedder)
        self.similarity = QuestionSimilarity(
            embedder, cosine_threshold=config.rephrase_similarity, lexical_threshold=config.rephrase_lexical
        )

    def run(self, context: TurnContext) -> RuleHit | None:
        texts = [turn.user for turn in context.turns]
        repeats = 0
        scores: list[str] = []
        for before, after in zip(reversed(texts[:-1]), reversed(texts)):
            if not (is_substantive(before) and is_substantive(after)):
                break
            similarity = self.similarity.run(before, after)
            if not similarity.same:
                break
            repeats += 1
            scores.append(
                f"{similarity.cosine:.2f}"
                if similarity.cosine is not None
                else f"lex {similarity.lexical:.2f}"
            )
            if repeats >= self.config.max_rephrasings:
                detail = (
                    f"asked the same question {repeats + 1} times (similarity {', '.join(reversed(scores))})"
                )
                return RuleHit(self.code, detail, _quote(texts[-1]))
        return None
