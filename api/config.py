"""Settings of the HTTP service: the shared kefu settings plus the API's own, same KEFU_ prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from ingest.config import Settings


class ApiSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", env_file=".env", extra="ignore")

    # Origins allowed to call the API from a browser (the sites embedding the widget); comma-separated.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Request bodies: JSON and form requests over max_body_kb are refused (413); multipart uploads
    # may total max_upload_mb, each file at most max_file_mb (from the shared settings).
    max_body_kb: int = 1024
    max_upload_mb: float = 200.0
    max_upload_files: int = 50
    # Per-key token bucket: `rate_limit_per_minute` sustained, bursts of `rate_limit_burst`; 0 = off.
    # In-process, so with N workers a key gets up to N times this.
    rate_limit_per_minute: int = 600
    rate_limit_burst: int = 60
    # Messaging channels: knowledge base -> shared secret (generic webhook, HMAC-SHA256) or
    # token (WeChat Official Account callback). A knowledge base without one has no such channel.
    webhook_secrets: dict[str, str] = Field(default_factory=dict)
    wechat_tokens: dict[str, str] = Field(default_factory=dict)
    webhook_tolerance_s: int = 300  # signed timestamps older or newer than this are replays
    # Background ingest jobs run on this many threads per process.
    job_workers: int = 1
    # Load the answer pipeline (embedder, indexes, LLM) in the background right after start-up,
    # so the first customer does not wait for it; /healthz answers meanwhile.
    warmup: bool = True
    log_level: str = "INFO"

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def max_body_bytes(self) -> int:
        return self.max_body_kb * 1024

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


def api_settings(settings: Settings | None = None) -> ApiSettings:
    """ApiSettings from the environment, or extended from shared settings a caller built."""
    if settings is None:
        return get_api_settings()
    if isinstance(settings, ApiSettings):
        return settings
    return ApiSettings(**settings.model_dump(exclude_unset=True))


@lru_cache(maxsize=1)
def get_api_settings() -> ApiSettings:
    return ApiSettings()
