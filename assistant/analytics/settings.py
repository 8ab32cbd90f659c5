"""Analytics settings: KEFU_ANALYTICS_* environment variables over defaults."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AnalyticsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_ANALYTICS_", env_file=".env", extra="ignore")

    # A customer who comes back on the same topic within this many hours was not resolved.
    repeat_window_hours: float = Field(72.0, gt=0, le=24 * 90)
    # A 1-5 satisfaction score at or below this is negative feedback (like a thumbs down).
    negative_score_max: int = Field(2, ge=1, le=5)
    # CSAT: the share of 1-5 scores at or above this ("satisfied" or "very satisfied").
    satisfied_score_min: int = Field(4, ge=1, le=5)

    # Gap mining: how many examples, chunks and agents' answers a cluster shows.
    gap_examples: int = Field(5, ge=1, le=50)
    gap_questions_max: int = Field(20_000, ge=10)  # newest failed questions clustered per call

    # QA score: an answer slower than this is a "slow_answer"; weights override qa.DEFAULT_WEIGHTS.
    qa_slow_ms: float = Field(10_000.0, gt=0)
    qa_weights: dict[str, float] = Field(default_factory=dict)
    # The LLM-judged QA variant (qa_judge.py): a litellm model name; None turns it off.
    qa_judge_model: str | None = None

    def is_negative(self, rating: int, score: int | None) -> bool:
        """A thumbs down, or a low 1-5 score."""
        return rating < 0 or (score is not None and score <= self.negative_score_max)
