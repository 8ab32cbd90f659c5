"""Evaluation settings (KEFU_ prefix, like ingest.config.Settings) and where data sets live."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


class EvalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", env_file=".env", extra="ignore")

    # Folder of data sets in the shared layout (KEFU_DATASETS); default ../shared/datasets.
    datasets: Path | None = None
    # LLM judge for Ragas LLM metrics and test-set generation: a litellm model name, or an
    # OpenAI-compatible model served at judge_api_base.
    judge_model: str | None = None
    judge_api_base: str | None = None
    judge_api_key: str | None = None
    judge_timeout_s: float = 120.0  # per request, queueing on the server included
    # Tokens a judge reply may take (Ragas' default 1024). A small local judge that never closes
    # its JSON runs to this limit on every call, so lower it there.
    judge_max_tokens: int = Field(1024, ge=1)
    # Re-asks after a judge reply that does not parse (instructor's max_retries, default 3; the
    # re-ask carries the failed reply and its error, so each one is a longer prompt). 0 = one try.
    judge_retries: int = Field(3, ge=0)
    # Metric calls in flight. A single-slot server (llama.cpp on loopback) answers one at a time,
    # and the queued calls' timeouts run while they wait: use 1 there.
    judge_concurrency: int = Field(4, ge=1)
    # Send each judge reply's JSON schema as a grammar (llama-cpp-python's server on
    # judge_api_base only): a small local judge then replies in the right shape.
    judge_schema_grammar: bool = False
    # Questions AnswerRelevancy generates per answer (Ragas' strictness, default 3).
    judge_strictness: int = Field(3, ge=1)
    # Questions answered at once; the local pipeline is CPU-bound, so more rarely helps.
    eval_workers: int = 1

    @property
    def datasets_dir(self) -> Path:
        return self.datasets or REPO_ROOT.parent / "shared" / "datasets"


@lru_cache(maxsize=1)
def get_eval_settings() -> EvalSettings:
    return EvalSettings()
