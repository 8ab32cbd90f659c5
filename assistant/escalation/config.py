"""Escalation and knowledge-loop settings: KEFU_ESCALATION_* environment variables over safe defaults."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Every rule in assistant.escalation.rules, in the order their hits are reported.
DEFAULT_RULES = (
    "explicit_request",
    "guardrail",
    "legal_threat",
    "complaint",
    "high_value_refund",
    "frustration",
    "repeated_failure",
    "rephrasing",
)

PRIORITY_NAMES = {1: "urgent", 2: "high", 3: "normal"}


class EscalationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_ESCALATION_", env_file=".env", extra="ignore")

    enabled: bool = True
    # Rule codes evaluated every turn (comma-separated in the environment).
    rules: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_RULES))

    # repeated_failure: this many refused or low-confidence turns since the last handoff.
    max_failures: int = 2
    # An answered turn whose answerability probability is below this counts as low confidence.
    # The judge answers from P(answerable) >= 0.5 (its fitted threshold): an answer just above it
    # is a coin flip the customer may not trust.
    low_confidence: float = 0.6

    # rephrasing: the customer asked the same thing this many more times in a row.
    max_rephrasings: int = 2
    # Question-question cosine of the E5 query vectors at which two messages count as the same
    # question. Paraphrases and different questions on the same topic overlap (medians 0.935 vs
    # 0.90 on eval/data/paraphrase_pairs.jsonl): at 0.93 one pair is right ~72% of the time (recall
    # 0.53-0.60; `python -m eval.bench_escalation --similarity`), so two rephrasings in a row are
    # required before escalating.
    rephrase_similarity: float = 0.93
    # Token/bigram Jaccard at which two messages are the same without asking the embedder.
    rephrase_lexical: float = 0.8

    # frustration: lexicon weights plus punctuation/caps cues of the turn (see sentiment.WEIGHTS).
    frustration_score: float = 1.0

    # high_value_refund: refund requests at or above these amounts, per ISO currency.
    refund_thresholds: dict[str, float] = Field(
        default_factory=lambda: {"CNY": 1000.0, "HKD": 1000.0, "USD": 150.0, "EUR": 150.0, "GBP": 120.0}
    )

    # guardrail: input-guard block reasons that hand the conversation to a human.
    guardrail_reasons: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["prompt_injection", "abuse"]
    )

    # Ticket priority per reason code (1 urgent, 2 high, 3 normal); a ticket takes its most urgent.
    priorities: dict[str, int] = Field(
        default_factory=lambda: {
            "legal_threat": 1,
            "high_value_refund": 2,
            "complaint": 2,
            "frustration": 2,
            "guardrail": 2,
            "explicit_request": 3,
            "repeated_failure": 3,
            "rephrasing": 3,
        }
    )
    # SLA per priority, in minutes from the ticket's creation.
    first_response_minutes: dict[int, int] = Field(default_factory=lambda: {1: 5, 2: 15, 3: 60})
    resolution_minutes: dict[int, int] = Field(default_factory=lambda: {1: 120, 2: 480, 3: 1440})

    # Knowledge loop: a candidate whose question has this E5 query-query cosine with an existing
    # FAQ question (or a pending candidate) is marked duplicate. On covid_faq (paraphrase vs its
    # FAQ question, and vs the nearest other FAQ question) 0.95 gives precision 0.90 at recall
    # 0.37: a wrong "duplicate" hides a new answer, a missed one costs the reviewer a click, and
    # the nearest FAQ question is recorded on every candidate either way.
    faq_duplicate_similarity: float = 0.95

    @field_validator("rules", "guardrail_reasons", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def priority_for(self, codes: list[str]) -> int:
        return min((self.priorities.get(code, 3) for code in codes), default=3)
