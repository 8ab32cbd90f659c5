"""EscalationPolicy: runs every configured rule on the session after each turn."""

from __future__ import annotations

from ingest.config import EscalationSettings, get_settings
from assistant.escalation.rules import RULES, EscalationRule
from assistant.escalation.types import EscalationDecision, TurnContext
from ingest.embedding import Embedder


class UnknownRule(ValueError):
    pass


class EscalationPolicy:
    """run(context) -> an EscalationDecision with every rule that fired, or None to let the bot
    carry on. Without an embedder the rephrasing rule compares the wording only."""

    def __init__(self, config: EscalationSettings | None = None, *, embedder: Embedder | None = None) -> None:
        self.config = config or get_settings().escalation
        unknown = [code for code in self.config.rules if code not in RULES]
        if unknown:
            raise UnknownRule(f"unknown escalation rules {unknown}; known: {sorted(RULES)}")
        self.rules: list[EscalationRule] = [RULES[code](self.config, embedder) for code in self.config.rules]

    def run(self, context: TurnContext) -> EscalationDecision | None:
        if not self.config.enabled:
            return None
        hits = [hit for rule in self.rules if (hit := rule.run(context)) is not None]
        if not hits:
            return None
        return EscalationDecision(hits, priority=self.config.priority_for([hit.code for hit in hits]))
