"""EscalationPolicy: runs every configured rule on the session after each turn."""

from __future__ import annotations

from assistant.escalation.rules import EscalationRule
from assistant.escalation.types import EscalationDecision, TurnContext
from ingest import plugins
from ingest.config import EscalationSettings, get_settings
from ingest.embedding import Embedder
from ingest.errors import InvalidInput

GROUP = "kefu.escalation_rules"


class UnknownRule(InvalidInput, ValueError):
    pass


def escalation_rules() -> dict[str, type[EscalationRule]]:
    """Reason code -> rule class, from the `kefu.escalation_rules` plug-ins (ingest.plugins)."""
    rules: dict[str, type[EscalationRule]] = plugins.load(GROUP, EscalationRule)
    for name, cls in rules.items():
        if cls.code != name:
            raise plugins.PluginError(
                f"the escalation rule {name!r} in {GROUP} says its code is {cls.code!r}"
            )
    return rules


class EscalationPolicy:
    """run(context) -> an EscalationDecision with every rule that fired, or None to let the bot
    carry on. Without an embedder the rephrasing rule compares the wording only."""

    def __init__(self, config: EscalationSettings | None = None, *, embedder: Embedder | None = None) -> None:
        self.config = config or get_settings().escalation
        known = escalation_rules()
        unknown = [code for code in self.config.rules if code not in known]
        if unknown:
            raise UnknownRule(f"unknown escalation rules {unknown}; known: {sorted(known)}")
        self.rules: list[EscalationRule] = [known[code](self.config, embedder) for code in self.config.rules]

    def run(self, context: TurnContext) -> EscalationDecision | None:
        if not self.config.enabled:
            return None
        hits = [hit for rule in self.rules if (hit := rule.run(context)) is not None]
        if not hits:
            return None
        return EscalationDecision(hits, priority=self.config.priority_for([hit.code for hit in hits]))
