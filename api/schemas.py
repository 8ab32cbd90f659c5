"""Request and response bodies of the kefu routes (OpenAI-compatible shapes live in api/openai_schemas.py)."""

from __future__ import annotations

import math
from datetime import datetime, UTC
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.credentials import drop_credentials

KB_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"

# -- input types shared by every body, path and query parameter ------------------------------------
# What the databases cannot store is refused here, as a 422, before a route writes anything:
# PostgreSQL text refuses NUL, neither database stores a lone surrogate (it is not UTF-8), and
# PostgreSQL's INTEGER is 32-bit (SQLite's is 64-bit), so ids past 2^31 - 1 can name no row.
INT32_MAX = 2**31 - 1


def clean_text(value: str) -> str:
    """The text, or a ValueError naming what cannot be stored."""
    if "\x00" in value:
        raise ValueError("text must not contain NUL (\\u0000) characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (it holds a lone surrogate)") from None
    return value


def clean_json(value: Any) -> Any:
    """clean_text on every key and string of a JSON value; NaN and infinities refused too (not JSON)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("numbers must be finite")
    if isinstance(value, dict):
        for key, item in value.items():
            clean_text(str(key))
            clean_json(item)
    elif isinstance(value, list):
        for item in value:
            clean_json(item)
    return value


SafeText = Annotated[str, AfterValidator(clean_text)]
# A customer profile as a client sends it (shown to agents, stored with the conversation).
Profile = Annotated[dict[str, Any], AfterValidator(clean_json), AfterValidator(drop_credentials)]
# Ids and names in paths and queries (session, message, document, job ids; knowledge base names).
Key = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(clean_text)]
# Integer row ids (tickets, FAQ candidates, outbox deliveries) and sequence numbers.
RowId = Annotated[int, annotated_types.Interval(ge=1, le=INT32_MAX)]
Seq = Annotated[int, annotated_types.Interval(ge=0, le=INT32_MAX)]


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


Timestamp = Annotated[datetime | None, AfterValidator(_utc)]


class Strict(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


# -- identity -----------------------------------------------------------------------------------


class KeyInfo(BaseModel):
    id: str
    name: str
    role: str
    tenant: str
    kbs: list[str]


# -- chat -----------------------------------------------------------------------------------------


class CreateSession(Strict):
    kb: SafeText = Field(min_length=1, max_length=128)
    channel: SafeText = Field("api", min_length=1, max_length=64, pattern=r"^[a-z0-9_\-]+$")
    user_id: SafeText | None = Field(None, max_length=256, description="The end user's id in your system.")
    user_profile: Profile = Field(default_factory=dict, description="Shown to agents on escalation.")


class SessionOut(BaseModel):
    id: str
    kb: str
    channel: str
    state: str  # "bot", or "human" while an agent holds the session
    user_id: str | None
    user_profile: dict[str, Any]
    created_at: Timestamp = None


class SendMessage(Strict):
    text: SafeText = Field(
        min_length=1, description="At most KEFU_MAX_MESSAGE_CHARS characters (413 beyond)."
    )


class CitationOut(BaseModel):
    n: int
    chunk_id: str
    doc_id: str
    title: str
    heading_path: list[str]
    page: int | None
    url: str | None
    source: str
    snippet: str


class SourceOut(BaseModel):
    n: int
    chunk_id: str
    doc_id: str
    title: str
    source: str
    url: str | None
    page: int | None
    kind: str
    score: float
    snippet: str


class AnswerOut(BaseModel):
    message_id: str | None
    session_id: str | None
    text: str
    mode: str  # generated | extractive | refused | escalated | human (an agent holds the session)
    lang: str
    refused: bool
    citations: list[CitationOut]
    timings_ms: dict[str, float]
    model: str | None


class MessageOut(BaseModel):
    id: str
    seq: int
    role: str
    content: str
    mode: str | None
    citations: list[dict[str, Any]]
    author: str | None
    created_at: Timestamp


class FeedbackIn(Strict):
    rating: Literal[1, -1] = Field(description="+1 thumbs up, -1 thumbs down")
    score: int | None = Field(
        None, ge=1, le=5, description="optional satisfaction rating, 1 (poor) to 5 (great)"
    )
    comment: SafeText = Field("", max_length=2000)


class FeedbackOut(BaseModel):
    id: int
    message_id: str
    rating: int
    score: int | None = None
    comment: str


class EscalateIn(Strict):
    reason: SafeText = Field("", max_length=1000)


class TicketOut(BaseModel):
    id: int
    session_id: str
    kb: str
    status: str  # open | claimed | resolved
    reasons: list[str]
    priority: int  # 1 urgent, 2 high, 3 normal
    priority_name: str
    assignee: str | None  # the agent's key id
    resolution: str | None
    summary: str
    created_at: Timestamp
    claimed_at: Timestamp
    first_response_at: Timestamp
    resolved_at: Timestamp
    first_response_due_at: Timestamp
    resolve_due_at: Timestamp
    breached: bool
    package: dict[str, Any]  # the handoff package: customer, summary, transcript, what was tried


class EscalationOut(BaseModel):
    session_id: str
    state: str
    ticket: TicketOut


# -- search -----------------------------------------------------------------------------------------


class SearchFilters(Strict):
    langs: list[SafeText] = Field(default_factory=list)
    kinds: list[Literal["text", "table", "faq"]] = Field(default_factory=list)
    doc_ids: list[SafeText] = Field(default_factory=list)
    sources: list[SafeText] = Field(default_factory=list)
    tags: list[SafeText] = Field(default_factory=list)
    products: list[SafeText] = Field(default_factory=list)


class SearchIn(Strict):
    kb: SafeText = Field(min_length=1, max_length=128)
    query: SafeText = Field(min_length=1, max_length=2000)
    top_k: int = Field(5, ge=1, le=50)
    filters: SearchFilters | None = None
    # Which version to search (ingest.versions): the newest draft by default (hit testing what
    # was just uploaded), "published" for what customers get, or a version number.
    version: Literal["draft", "published"] | Annotated[int, annotated_types.Interval(ge=1, le=INT32_MAX)] = (
        "draft"
    )


class SearchHit(BaseModel):
    n: int
    chunk_id: str
    doc_id: str
    source: str
    title: str
    heading_path: list[str]
    page: int | None
    kind: str
    lang: str
    text: str
    score: float  # fused score
    scores: dict[str, float]  # per retriever ("bm25", "translated", "dense", "title", "faq")
    ranks: dict[str, int]  # 1-based rank in each retriever's list


class SearchOut(BaseModel):
    kb: str
    kb_version: int
    query: str
    hits: list[SearchHit]
    timings_ms: dict[str, float]
    warnings: list[str]


# -- knowledge ----------------------------------------------------------------------------------------


class CreateKB(Strict):
    name: SafeText = Field(pattern=KB_NAME)
    description: SafeText = Field("", max_length=2000)


class KBOut(BaseModel):
    name: str
    tenant: str
    description: str
    version: int
    documents: int
    chunks: int
    embedded: int
    faq_chunks: int
    embed_model: str
    quarantined: int = 0  # chunks held back at ingest (GET /v1/kbs/{kb}/quarantine); not in `chunks`
    published_version: int | None = None  # what customers are served; `version` is the newest draft


class DocumentOut(BaseModel):
    id: str
    source: str
    title: str
    file_type: str
    lang: str
    n_chunks: int
    version: int
    size_bytes: int
    url: str | None
    last_error: str | None
    updated_at: Timestamp


class FileResultOut(BaseModel):
    source: str
    outcome: str  # added | changed | unchanged | removed | failed
    chunks: int = 0
    reason: str = ""
    quarantined: int = 0  # of its chunks, held back for planted instructions


class JobOut(BaseModel):
    id: str
    kind: str
    kb: str
    status: Literal["queued", "running", "succeeded", "partial", "failed"]  # partial: some files failed
    stage: str
    done: int
    total: int
    files: list[FileResultOut]
    error: str | None
    created_at: Timestamp
    started_at: Timestamp
    finished_at: Timestamp


class QuarantinedChunkOut(BaseModel):
    """A chunk held back at ingest: never retrieved, so never shown to the model."""

    doc_id: str
    source: str
    title: str
    chunk_id: str
    excerpt: str
    reason: str


class UploadOut(BaseModel):
    job: JobOut
    files: list[str]


class ReingestIn(Strict):
    doc_ids: list[Key] | None = Field(
        None,
        description="Documents to parse again from their uploaded files; default: all uploaded documents.",
    )


class FAQIn(Strict):
    question: SafeText = Field(min_length=1, max_length=1000)
    similar_questions: list[SafeText] = Field(default_factory=list, max_length=50)
    answer: SafeText = Field(min_length=1, max_length=10000)


class FAQOut(BaseModel):
    id: str
    question: str
    similar_questions: list[str]
    answer: str
    version: int
    updated_at: Timestamp


# -- agents -----------------------------------------------------------------------------------------------


class AgentReplyIn(Strict):
    text: SafeText = Field(min_length=1, max_length=4000)


class ResolveIn(Strict):
    resolution: SafeText = Field(
        "", max_length=10000, description="The answer that solved it (proposed as an FAQ entry)."
    )
    propose_faq: bool = True


class CandidateOut(BaseModel):
    id: int
    ticket_id: int | None
    kb: str
    question: str
    answer: str
    lang: str
    status: str  # pending | accepted | rejected | duplicate
    similar_to: dict[str, Any] | None
    similarity: float | None
    reviewer: str | None
    review_note: str
    source: str | None
    created_at: Timestamp
    reviewed_at: Timestamp


class ResolutionOut(BaseModel):
    ticket: TicketOut
    faq_candidate: CandidateOut | None


class AcceptCandidateIn(Strict):
    question: SafeText | None = Field(None, max_length=1000)
    answer: SafeText | None = Field(None, max_length=10000)
    note: SafeText = Field("", max_length=2000)


class RejectCandidateIn(Strict):
    note: SafeText = Field("", max_length=2000)


# -- analytics: api/schemas_analytics.py ---------------------------------------------------------------------


# -- health ---------------------------------------------------------------------------------------------------


class Check(BaseModel):
    ok: bool
    detail: str
    ms: float


class ReadyOut(BaseModel):
    status: Literal["ready", "not ready"]
    checks: dict[str, Check]


# -- channels -------------------------------------------------------------------------------------------------


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="ignore")  # platforms add fields of their own

    message_id: SafeText = Field(min_length=1, max_length=128)
    user_id: SafeText = Field(min_length=1, max_length=256)
    text: SafeText = Field(
        min_length=1, description="At most KEFU_MAX_MESSAGE_CHARS characters (413 beyond)."
    )
    user_profile: Profile = Field(default_factory=dict)


class WebhookOut(BaseModel):
    message_id: str
    session_id: str | None
    text: str
    mode: str
    citations: list[CitationOut]
    duplicate: bool = False


# -- versions and trash ----------------------------------------------------------------------------------


class VersionOut(BaseModel):
    version: int
    state: Literal["published", "draft", "previous", "legacy"]
    created_at: datetime
    published_at: datetime | None
    documents: int
    chunks: int
    docs_added: int
    docs_changed: int
    docs_removed: int
    config: dict[str, Any]


class DocumentChangeOut(BaseModel):
    source: str
    change: Literal["added", "removed", "changed"]
    chunks_before: int
    chunks_after: int


class VersionDiffOut(BaseModel):
    a: int
    b: int
    documents: list[DocumentChangeOut]
    chunks_added: int
    chunks_removed: int
    chunks_shared: int
    config: dict[str, list[Any]]  # key -> [value in a, value in b], where they differ


class PruneIn(Strict):
    keep: int = Field(ge=1, le=10_000)


class PruneOut(BaseModel):
    versions: list[int]  # deleted
    revisions: int
    chunks: int  # chunk rows (and vectors) deleted


class TrashedKBOut(BaseModel):
    name: str
    deleted_at: datetime
    purge_after: datetime
    documents: int


class RestoreIn(Strict):
    name: SafeText | None = Field(None, pattern=KB_NAME)  # restore under another name
