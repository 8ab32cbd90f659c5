"""Prompt-injection detection by deterministic rules over normalised and decoded views of a text.

The local model is tiny and easily steered, so nothing here asks an LLM. A text is looked at in
several views (normalised; leetspeak folded; split words joined; separators stripped when letters
are spaced out; every readable base64/hex/URL/escape payload inside it), each view is matched against RULES, and
the weights of the distinct rules that fired are combined noisy-OR into one score.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from assistant.guards.decoders import decode_payloads
from assistant.guards.injection_rules import RULES, Rule
from ingest.config import GuardSettings, get_settings
from assistant.guards.text import (
    compact,
    fold_leet,
    has_mixed_script_word,
    has_spaced_letters,
    has_zero_width_in_word,
    join_split_words,
    normalize,
    strip_zero_width,
)

REMOVED = "[removed: instruction-like text]"
ENCODED_WEIGHT = 0.3  # a readable encoded payload in a support chat is suspicious by itself
VIEW_WEIGHT = 0.2  # a rule that only fires after folding leetspeak, split words or spaced letters

# Signals about the raw text itself: hiding characters inside words is what evasion looks like.
SIGNALS: dict[str, tuple[float, Callable[[str], bool]]] = {
    "obfuscation.zero_width": (0.3, has_zero_width_in_word),
    "obfuscation.homoglyph": (0.3, has_mixed_script_word),
}


@dataclass(frozen=True)
class RuleHit:
    rule: str
    weight: float
    view: str  # "text", "leet", "spaced", "base64", "hex+url", ... or "raw" for SIGNALS
    snippet: str


@dataclass
class InjectionVerdict:
    flagged: bool
    score: float
    rules: list[str]
    reason: str
    hits: list[RuleHit] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "guard": "injection",
            "flagged": self.flagged,
            "score": round(self.score, 3),
            "rules": self.rules,
            "categories": sorted({rule.split(".", 1)[0] for rule in self.rules}),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class _View:
    name: str
    text: str
    origin: Literal["plain", "folded", "decoded"]
    compact: bool = False  # match the separator-free form of the rules


def _views(text: str) -> list[_View]:
    normalized = normalize(text)
    views = [_View("text", normalized, "plain")]
    for name, fold in (("leet", fold_leet), ("joined", join_split_words)):
        folded = fold(normalized)
        if folded != normalized:
            views.append(_View(name, folded, "folded"))
    if has_spaced_letters(normalized):
        views.append(_View("spaced", compact(normalized), "folded", compact=True))
    # Decoders see case and punctuation (base64 is case-sensitive), but not zero-width tricks.
    for payload in decode_payloads(strip_zero_width(text)):
        views.append(_View(payload.kind, normalize(payload.text), "decoded"))
    return views


def _snippet(text: str, match: re.Match[str]) -> str:
    return text[match.start() : match.end()][:80].replace("\n", " ")


def _match_rules(view: _View, rules: tuple[Rule, ...]) -> list[RuleHit]:
    hits = []
    for rule in rules:
        match = (rule.compact_regex if view.compact else rule.regex).search(view.text)
        if match:
            hits.append(RuleHit(rule.id, rule.weight, view.name, _snippet(view.text, match)))
    return hits


def combine(weights: list[float]) -> float:
    """Noisy-OR: independent weak signals add up, one strong signal is enough."""
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining


class InjectionDetector:
    """Scores a text for prompt injection; run() is the pipeline entry point."""

    def __init__(self, settings: GuardSettings | None = None, rules: tuple[Rule, ...] = RULES) -> None:
        self.settings = settings or get_settings().guards
        self.rules = rules

    def hits(self, text: str) -> list[RuleHit]:
        """Distinct rule hits, first (most direct) view wins; decoded payloads add encoded.<kind>."""
        found: dict[str, RuleHit] = {}
        for rule_id, (weight, signal) in SIGNALS.items():
            if signal(text):
                found[rule_id] = RuleHit(rule_id, weight, "raw", "")
        for view in _views(text):
            new = [hit for hit in _match_rules(view, self.rules) if hit.rule not in found]
            found.update((hit.rule, hit) for hit in new)
            if view.origin == "folded" and new:
                rule_id = f"obfuscation.{view.name}"
                found.setdefault(rule_id, RuleHit(rule_id, VIEW_WEIGHT, view.name, ""))
            elif view.origin == "decoded":
                # No snippet: a decoded payload may carry PII that redaction never saw.
                rule_id = f"encoded.{view.name}"
                found.setdefault(rule_id, RuleHit(rule_id, ENCODED_WEIGHT, view.name, ""))
        return list(found.values())

    def evaluate(self, text: str, threshold: float) -> InjectionVerdict:
        hits = self.hits(text)
        score = combine([hit.weight for hit in hits])
        return InjectionVerdict(
            flagged=score >= threshold,
            score=score,
            rules=[hit.rule for hit in hits],
            reason=_reason(hits, score),
            hits=hits,
        )

    def run(self, text: str) -> InjectionVerdict:
        return self.evaluate(text, self.settings.injection_threshold)


def _reason(hits: list[RuleHit], score: float) -> str:
    if not hits:
        return "no injection pattern"
    strongest = sorted(hits, key=lambda hit: -hit.weight)[:3]
    parts = [f"{hit.rule} ({hit.view}: {hit.snippet!r})" if hit.snippet else hit.rule for hit in strongest]
    return f"score {score:.2f}: " + "; ".join(parts)


# A sentence ends at 。！？； or a newline, or at .!?; followed by whitespace (keeps "1.5", "e.g").
_SENTENCE_END = re.compile(r"(?<=[。！？；!?\n])|(?<=[.;])(?=\s)|(?<=-->)")


def neutralize_passage(text: str, detector: InjectionDetector | None = None) -> tuple[str, list[RuleHit]]:
    """Replace instruction-like sentences planted in a retrieved passage with REMOVED.

    Sentences are judged one by one at the stricter passage threshold, so one planted line is
    cut out while the rest of the passage (and its whitespace) stays as it was.
    """
    detector = detector or InjectionDetector()
    threshold = detector.settings.passage_threshold
    pieces: list[str] = []
    hits: list[RuleHit] = []
    previous_removed = False
    for sentence in _SENTENCE_END.split(text):
        body = sentence.strip()
        verdict = detector.evaluate(body, threshold) if body else None
        if verdict is None or not verdict.flagged:
            pieces.append(sentence)
            previous_removed = previous_removed and not body
            continue
        hits += verdict.hits
        lead = sentence[: len(sentence) - len(sentence.lstrip())]
        trail = sentence[len(sentence.rstrip()) :]
        pieces.append(lead + ("" if previous_removed else REMOVED) + trail)
        previous_removed = True
    return "".join(pieces), hits
