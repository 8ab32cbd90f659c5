"""Passage guard: defangs instructions planted in retrieved passages before they reach the LLM."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from assistant.guards.injection import InjectionDetector, RuleHit, neutralize_passage
from ingest.config import GuardSettings
from assistant.types import Passage


@dataclass
class PassageGuardResult:
    passages: list[Passage]  # copies; a passage with planted text has it replaced
    removed: dict[str, list[RuleHit]] = field(default_factory=dict)  # chunk_id -> hits

    def as_dict(self) -> dict[str, Any]:
        return {
            "guard": "passages",
            "flagged": bool(self.removed),
            "removed": {chunk: sorted({hit.rule for hit in hits}) for chunk, hits in self.removed.items()},
        }


class PassageGuard:
    def __init__(
        self, settings: GuardSettings | None = None, detector: InjectionDetector | None = None
    ) -> None:
        self.detector = detector or InjectionDetector(settings)

    def run(self, passages: list[Passage]) -> PassageGuardResult:
        cleaned: list[Passage] = []
        removed: dict[str, list[RuleHit]] = {}
        for passage in passages:
            text, hits = neutralize_passage(passage.text, self.detector)
            if hits:
                removed[passage.chunk_id] = hits
                passage = replace(passage, text=text)
            cleaned.append(passage)
        return PassageGuardResult(cleaned, removed)
