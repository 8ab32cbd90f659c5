"""Request and response bodies of the kefu routes (OpenAI-compatible shapes live in api/openai_schemas.py)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

KB_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$"


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


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
    kb: str = Field(min_length=1, max_length=128)
    channel: str = Field("api", min_length=1, max_length=64, pattern=r"^[a-z0-9_\-]+$")
    user_id: str | None = Field(None, max_length=256, description="The end user's id in your system.")
    user_profile: dict[str, Any] = Field(default_factory=dict, description="Shown to agents on escalation.")


class SessionOut(BaseModel):
    id: str
    kb: str
    channel: str
    state: str  # "bot", or "human" while an agent holds the session
    user_id: str | None
    user_profile: dict[str, Any]
    created_at: Timestamp = None


class SendMessage(Strict):
    text: str = Field(min_length=1, max_length=4000)


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
    score: int | None = Field(None, ge=1, le=5, description="optional satisfaction rating, 1 (poor) to 5 (great)")
    comment: str = Field("", max_length=2000)


class FeedbackOut(BaseModel):
    id: int
    message_id: str
    rating: int
    score: int | None = None
    comment: str


class EscalateIn(Strict):
    reason: str = Field("", max_length=1000)


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
    langs: list[str] = Field(default_factory=list)
    kinds: list[Literal["text", "table", "faq"]] = Field(default_factory=list)
    doc_ids: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)


class SearchIn(Strict):
    kb: str = Field(min_length=1, max_length=128)
    query: str = Field(min_length=1, max_length=2000)
    top_k: int = Field(5, ge=1, le=50)
    filters: SearchFilters | None = None


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
    scores: dict[str, float]  # per retriever ("bm25", "dense", "title", "faq")
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
    name: str = Field(pattern=KB_NAME)
    description: str = Field("", max_length=2000)


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


class JobOut(BaseModel):
    id: str
    kind: str
    kb: str
    status: str  # queued | running | succeeded | failed
    stage: str
    done: int
    total: int
    files: list[FileResultOut]
    error: str | None
    created_at: Timestamp
    started_at: Timestamp
    finished_at: Timestamp


class UploadOut(BaseModel):
    job: JobOut
    files: list[str]


class ReingestIn(Strict):
    doc_ids: list[str] | None = Field(
        None, description="Documents to parse again from their uploaded files; default: all uploaded documents."
    )


class FAQIn(Strict):
    question: str = Field(min_length=1, max_length=1000)
    similar_questions: list[str] = Field(default_factory=list, max_length=50)
    answer: str = Field(min_length=1, max_length=10000)


class FAQOut(BaseModel):
    id: str
    question: str
    similar_questions: list[str]
    answer: str
    version: int
    updated_at: Timestamp


# -- agents -----------------------------------------------------------------------------------------------


class AgentReplyIn(Strict):
    text: str = Field(min_length=1, max_length=4000)


class ResolveIn(Strict):
    resolution: str = Field("", max_length=10000, description="The answer that solved it (proposed as an FAQ entry).")
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
    question: str | None = Field(None, max_length=1000)
    answer: str | None = Field(None, max_length=10000)
    note: str = Field("", max_length=2000)


class RejectCandidateIn(Strict):
    note: str = Field("", max_length=2000)


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

    message_id: str = Field(min_length=1, max_length=128)
    user_id: str = Field(min_length=1, max_length=256)
    text: str = Field(min_length=1, max_length=4000)
    user_profile: dict[str, Any] = Field(default_factory=dict)


class WebhookOut(BaseModel):
    message_id: str
    session_id: str | None
    text: str
    mode: str
    citations: list[CitationOut]
    duplicate: bool = False
