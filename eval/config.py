"""Evaluation settings (KEFU_ prefix, like ingest.config.Settings) and where data sets live."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    judge_timeout_s: float = 120.0
    # Questions answered at once; the local pipeline is CPU-bound, so more rarely helps.
    eval_workers: int = 1

    @property
    def datasets_dir(self) -> Path:
        return self.datasets or REPO_ROOT.parent / "shared" / "datasets"


@lru_cache(maxsize=1)
def get_eval_settings() -> EvalSettings:
    return EvalSettings()
