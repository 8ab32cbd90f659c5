"""Settings of the HTTP service: the shared kefu settings plus the API's own, same KEFU_ prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from assistant.guards.settings import GuardSettings
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
    # Chat input on every chat route (api.chat_limits): one message at most max_message_chars (by
    # default the input guard's limit, over which the guard would block the turn anyway); the
    # history an OpenAI-style request carries at most max_history_messages and max_history_chars in
    # all (only the last few turns are read; a longer history is refused, not silently cut).
    max_message_chars: int = Field(GuardSettings.max_input_chars, ge=1)
    max_history_messages: int = Field(50, ge=0)
    max_history_chars: int = Field(32_000, ge=0)
    # Per-key token bucket: `rate_limit_per_minute` sustained, bursts of `rate_limit_burst`; 0 = off.
    # In-process, so with N workers a key gets up to N times this.
    rate_limit_per_minute: int = 600
    rate_limit_burst: int = 60
    # How long a verified API key is trusted without asking SQL again: the longest a revocation
    # made by another process (CLI, another worker) goes unnoticed; 0 turns the cache off.
    key_cache_ttl_s: float = Field(5.0, ge=0)
    # Searches running at once per process (/v1/search): measured on 2 cores, more than a few only
    # add GIL hand-offs; the native parts (Chroma, the embedder) release the GIL.
    search_threads: int = Field(4, ge=1)
    # Messaging channels: knowledge base -> shared secret (generic webhook, HMAC-SHA256) or
    # token (WeChat Official Account callback). A knowledge base without one has no such channel.
    webhook_secrets: dict[str, str] = Field(default_factory=dict)
    wechat_tokens: dict[str, str] = Field(default_factory=dict)
    webhook_tolerance_s: int = 300  # signed timestamps older or newer than this are replays
    # Agent replies pushed back to channel users. Generic webhook: knowledge base -> callback URL,
    # POSTed with the same X-Kefu-Timestamp / X-Kefu-Signature as inbound (secret: webhook_secrets).
    webhook_callbacks: dict[str, str] = Field(default_factory=dict)
    # WeChat safe (encrypted) mode: knowledge base -> the 43-character EncodingAESKey. With a key set,
    # plaintext messages for that knowledge base are refused. The AppID (Official Account) or CorpID
    # (WeCom) is both the receive id inside encrypted messages and the account the pushes go out as.
    wechat_aes_keys: dict[str, str] = Field(default_factory=dict)
    wechat_app_ids: dict[str, str] = Field(default_factory=dict)
    # Access tokens for customer-service messages, per knowledge base: the AppSecret (a token is
    # fetched from {wechat_api_base}/cgi-bin/token), or the URL of a shared token service answering
    # {"access_token", "expires_in"} -- WeChat revokes older tokens whenever any process fetches a new
    # one, so deployments with several workers or services should share one.
    wechat_app_secrets: dict[str, str] = Field(default_factory=dict)
    wechat_token_urls: dict[str, str] = Field(default_factory=dict)
    wechat_api_base: str = "https://api.weixin.qq.com"
    # Each push is tried this many times, waiting backoff_s, 2*backoff_s, ... in between.
    channel_push_attempts: int = Field(3, ge=1, le=10)
    channel_push_backoff_s: float = Field(1.0, ge=0)
    channel_push_timeout_s: float = Field(10.0, gt=0)
    # Background ingest jobs run on this many threads per process (API process or `kefu worker`).
    job_workers: int = 1
    # Where ingest jobs run: "thread" = in the API process that took the upload (the embedded
    # default); "procrastinate" = queued in PostgreSQL (KEFU_DATABASE_URL) for `kefu worker`
    # processes, the API only enqueues (api/queue.py).
    job_queue: Literal["thread", "procrastinate"] = "thread"
    # A worker writes a heartbeat this often; a job whose worker has been silent for
    # job_stalled_after_s (killed, machine lost) is run again by another worker, at most
    # job_max_attempts times in all.
    job_heartbeat_s: float = Field(10.0, gt=0)
    job_stalled_after_s: float = Field(30.0, gt=0)
    job_max_attempts: int = Field(3, ge=1)
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

    @model_validator(mode="after")
    def _check_wechat(self) -> ApiSettings:
        """A bad EncodingAESKey or a key without its AppID/token is a start-up error, not a 4xx
        on every message."""
        from api.channels.wxcrypt import aes_key

        for kb, key in self.wechat_aes_keys.items():
            try:
                aes_key(key)
            except ValueError as exc:
                raise ValueError(f"KEFU_WECHAT_AES_KEYS[{kb!r}]: {exc}") from exc
            needs = (("KEFU_WECHAT_TOKENS", self.wechat_tokens), ("KEFU_WECHAT_APP_IDS", self.wechat_app_ids))
            for name, table in needs:
                if not table.get(kb):
                    raise ValueError(f"WeChat encrypted mode for {kb!r} also needs {name}[{kb!r}]")
        for kb in self.wechat_app_secrets:
            if not self.wechat_app_ids.get(kb):
                raise ValueError(f"KEFU_WECHAT_APP_SECRETS[{kb!r}] needs KEFU_WECHAT_APP_IDS[{kb!r}]")
        return self

    @model_validator(mode="after")
    def _check_callbacks(self) -> ApiSettings:
        """Pushes are signed with the knowledge base's webhook secret, and go to http(s) URLs only."""
        urls = [(f"KEFU_WEBHOOK_CALLBACKS[{kb!r}]", url) for kb, url in self.webhook_callbacks.items()]
        urls += [(f"KEFU_WECHAT_TOKEN_URLS[{kb!r}]", url) for kb, url in self.wechat_token_urls.items()]
        urls.append(("KEFU_WECHAT_API_BASE", self.wechat_api_base))
        for name, url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http:// or https:// URL, got {url!r}")
        for kb in self.webhook_callbacks:
            if not self.webhook_secrets.get(kb):
                raise ValueError(
                    f"KEFU_WEBHOOK_CALLBACKS[{kb!r}] needs KEFU_WEBHOOK_SECRETS[{kb!r}] to sign pushes"
                )
        return self

    @model_validator(mode="after")
    def _check_job_queue(self) -> ApiSettings:
        if self.job_queue == "procrastinate" and not self.sql_url.startswith("postgresql"):
            raise ValueError(
                "KEFU_JOB_QUEUE=procrastinate keeps its queue in PostgreSQL: set KEFU_DATABASE_URL=postgresql+psycopg://..."
            )
        if self.job_stalled_after_s <= self.job_heartbeat_s:
            raise ValueError("KEFU_JOB_STALLED_AFTER_S must be longer than KEFU_JOB_HEARTBEAT_S")
        return self

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
