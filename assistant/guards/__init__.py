"""kefu.assistant.guards: deterministic input, passage and output guards (no LLM involved).

InputGuard      PII redaction, prompt injection, abuse and sensitive topics on the user's message
PassageGuard    removes instructions planted in retrieved passages
OutputGuard     PII leaks, citations, language, length and policy words in the answer
"""

from __future__ import annotations

from assistant.guards.injection import InjectionDetector, InjectionVerdict, RuleHit, neutralize_passage
from assistant.guards.input_guard import InputGuard, InputGuardResult, refusal_message
from assistant.guards.output_guard import OutputGuard, OutputGuardResult, Violation
from assistant.guards.passage_guard import PassageGuard, PassageGuardResult
from assistant.guards.pii import PiiFinding, PiiRedactor, RedactionResult, detect_pii
from ingest.config import GuardSettings
from assistant.guards.wordlists import WordHit, WordList, WordLists

__all__ = [
    "GuardSettings",
    "InjectionDetector",
    "InjectionVerdict",
    "InputGuard",
    "InputGuardResult",
    "OutputGuard",
    "OutputGuardResult",
    "PassageGuard",
    "PassageGuardResult",
    "PiiFinding",
    "PiiRedactor",
    "RedactionResult",
    "RuleHit",
    "Violation",
    "WordHit",
    "WordList",
    "WordLists",
    "detect_pii",
    "neutralize_passage",
    "refusal_message",
]
