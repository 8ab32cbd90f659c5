"""Input guard: the first step of the answering pipeline.

Redacts PII (the redacted text is all that reaches the LLM, logs and analytics), then checks the
redacted text for prompt injection, abuse and sensitive topics, and decides whether to block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from assistant.guards.injection import InjectionDetector, InjectionVerdict
from assistant.guards.pii import PiiFinding, PiiRedactor
from ingest.config import GuardSettings, get_settings
from assistant.guards.wordlists import WordHit, WordLists
from ingest.text import Lang, detect_language

_REFUSALS: dict[str, dict[Lang, str]] = {
    "prompt_injection": {
        "zh": "抱歉，我只能回答与我们的产品和服务有关的问题，无法执行这类请求。请问有什么可以帮您？",
        "en": "Sorry, I can only help with questions about our products and services, and I can't "
        "follow that kind of request. How can I help you today?",
    },
    "abuse": {
        "zh": "我理解您可能很着急。为了更好地帮助您，请文明交流；如需人工客服，请回复“转人工”。",
        "en": "I understand this may be frustrating. To help you best, please keep the conversation "
        "respectful; if you'd like, ask to talk to a human agent.",
    },
    "too_long": {
        "zh": "您的消息太长了，请精简后再发送，或分几条发送。",
        "en": "Your message is too long. Please shorten it or send it in several parts.",
    },
}
_FALLBACK_REFUSAL: dict[Lang, str] = {
    "zh": "抱歉，这条消息我无法处理。请换个方式描述您的问题。",
    "en": "Sorry, I can't process this message. Please rephrase your question.",
}


def refusal_message(lang: str, reason: str) -> str:
    """A polite refusal in the customer's language ("zh" or "en"; anything else gets English)."""
    language: Lang = "zh" if lang == "zh" else "en"
    return _REFUSALS.get(reason, _FALLBACK_REFUSAL)[language]


@dataclass
class InputGuardResult:
    text: str  # redacted: the only form of the message that may leave the guard
    lang: Lang
    pii: list[PiiFinding]
    injection: InjectionVerdict
    abuse: list[WordHit]
    sensitive: list[WordHit]
    blocked: bool
    block_reason: str | None
    refusal: str | None
    verdicts: list[dict[str, Any]] = field(default_factory=list)  # JSON for the message row

    @property
    def sensitive_categories(self) -> list[str]:
        return sorted({hit.category for hit in self.sensitive})


@dataclass(frozen=True)
class _Checked:
    """What the block rules look at."""

    raw_chars: int
    injection: InjectionVerdict
    abuse: list[WordHit]


class InputGuard:
    def __init__(
        self,
        settings: GuardSettings | None = None,
        *,
        redactor: PiiRedactor | None = None,
        detector: InjectionDetector | None = None,
        wordlists: WordLists | None = None,
    ) -> None:
        self.settings = settings or get_settings().guards
        self.redactor = redactor or PiiRedactor(self.settings)
        self.detector = detector or InjectionDetector(self.settings)
        self.wordlists = wordlists or WordLists.from_settings(self.settings)
        # Block rules in priority order: the first that fires names the block reason.
        self.block_rules: dict[str, Callable[[_Checked], bool]] = {
            "prompt_injection": lambda c: c.injection.flagged,
            "abuse": lambda c: any(hit.category in self.settings.abuse_block_categories for hit in c.abuse),
            "too_long": lambda c: c.raw_chars > self.settings.max_input_chars,
        }

    def run(self, text: str, *, lang: Lang | None = None) -> InputGuardResult:
        """lang: the message's language when the caller decided it already (the answer pipeline)."""
        redacted = self.redactor.run(text)
        injection = self.detector.run(redacted.text)
        abuse = self.wordlists.abuse.find(redacted.text)
        sensitive = self.wordlists.sensitive.find(redacted.text)
        lang = lang or detect_language(text)
        checked = _Checked(len(text), injection, abuse)
        reason = next((name for name, fires in self.block_rules.items() if fires(checked)), None)
        verdicts = [
            {
                "guard": "pii",
                "flagged": bool(redacted.findings),
                "findings": [finding.as_dict() for finding in redacted.findings],
            },
            injection.as_dict(),
            _word_verdict("abuse", abuse),
            _word_verdict("sensitive", sensitive),
            {"guard": "length", "flagged": len(text) > self.settings.max_input_chars, "chars": len(text)},
        ]
        return InputGuardResult(
            text=redacted.text,
            lang=lang,
            pii=redacted.findings,
            injection=injection,
            abuse=abuse,
            sensitive=sensitive,
            blocked=reason is not None,
            block_reason=reason,
            refusal=refusal_message(lang, reason) if reason else None,
            verdicts=verdicts,
        )


def _word_verdict(guard: str, hits: list[WordHit]) -> dict[str, Any]:
    return {
        "guard": guard,
        "flagged": bool(hits),
        "categories": sorted({hit.category for hit in hits}),
        "terms": [hit.term for hit in hits],
    }
