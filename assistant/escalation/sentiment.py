"""Frustration score of a customer message: a bilingual lexicon plus punctuation and caps cues."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from assistant.guards.wordlists import WordList, parse_terms

# Lexicon categories (data/frustration.txt) and the other cues, in score units; the policy
# escalates at EscalationSettings.frustration_score (1.0: one strong cue, or two mild ones).
WEIGHTS = {
    "strong": 1.0,
    "mild": 0.5,
    "exclamations": 0.5,
    "shouting": 1.0,
    "caps": 0.5,
    "profanity": 0.5,
}

_EXCLAMATIONS = re.compile(r"[!！]{3,}|[?？]{3,}|[!！][?？][!?！？]*|[?？][!！][!?！？]*")
_CAPS_WORD = re.compile(r"\b[A-Z]{4,}\b")
_LETTER = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class FrustrationScore:
    score: float
    cues: tuple[str, ...]  # what contributed: lexicon terms, "!!!", "SHOUTING", "CAPS", "profanity"


def _shouting(text: str) -> bool:
    """Most of a message of some length in capitals ("WHERE IS MY ORDER")."""
    letters = _LETTER.findall(text)
    return len(letters) >= 12 and sum(1 for ch in letters if ch.isupper()) / len(letters) >= 0.7


class FrustrationScorer:
    def __init__(self, lexicon: WordList | None = None) -> None:
        if lexicon is None:
            data = resources.files("assistant.escalation").joinpath("data/frustration.txt")
            lexicon = WordList(
                "frustration", parse_terms(data.read_text(encoding="utf-8").splitlines(), "strong")
            )
        unknown = set(lexicon.terms.values()) - set(WEIGHTS)
        if unknown:
            raise ValueError(f"frustration lexicon has unknown categories {sorted(unknown)}")
        self.lexicon = lexicon

    def run(self, text: str, guard_flags: Iterable[str] = ()) -> FrustrationScore:
        cues: list[str] = []
        score = 0.0
        for hit in self.lexicon.find(text):
            score += WEIGHTS[hit.category]
            cues.append(hit.term)
        if _EXCLAMATIONS.search(text):
            score += WEIGHTS["exclamations"]
            cues.append("!!!")
        if _shouting(text):
            score += WEIGHTS["shouting"]
            cues.append("SHOUTING")
        elif len(_CAPS_WORD.findall(text)) >= 2:  # a few words in capitals ("I PAID and NOTHING came")
            score += WEIGHTS["caps"]
            cues.append("CAPS")
        if "abuse:profanity" in guard_flags:  # recorded, not blocked, by the input guard
            score += WEIGHTS["profanity"]
            cues.append("profanity")
        return FrustrationScore(score, tuple(cues))
