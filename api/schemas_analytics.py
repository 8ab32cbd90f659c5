"""Response models of the analytics routes (definitions of each metric: assistant/analytics/metrics.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas import Key, SafeText, Strict


class MetricSetOut(BaseModel):
    sessions: int = Field(description="conversations started in the window, including empty ones")
    contacts: int = Field(description="conversations with at least one customer message")
    automated_resolutions: int
    automated_resolution_rate: float | None = Field(
        description="answered by the bot, not transferred, no negative feedback, no repeat contact; / contacts"
    )
    first_contact_resolutions: int
    first_contact_resolution_rate: float | None = Field(
        description="resolved by the bot or an agent with no negative feedback and no repeat contact; / contacts"
    )
    transfers: int
    transfer_rate: float | None = Field(description="conversations handed to a human / contacts")
    repeat_contacts: int = Field(description="same customer, same topic, again within the repeat window")
    answers: int
    answers_by_mode: dict[str, int]
    refusals: int
    refusal_rate: float | None
    thumbs_up: int
    thumbs_down: int
    thumbs_up_rate: float | None
    scores: int = Field(description="how many optional 1-5 satisfaction scores")
    score_mean: float | None
    csat: float | None = Field(description="share of 1-5 scores at or above the satisfied threshold (4)")
    first_token_ms_p50: float | None
    first_token_ms_p95: float | None
    answer_ms_p50: float | None
    answer_ms_p95: float | None
    tickets: int
    tickets_resolved: int
    handling_s_p50: float | None = Field(description="resolved tickets: resolved - claimed, seconds")
    handling_s_p95: float | None
    sla_breaches: int
    sla_breach_rate: float | None


class BreakdownOut(BaseModel):
    key: str
    metrics: MetricSetOut


class AnalyticsOut(BaseModel):
    kb: str | None
    days: int
    since: datetime
    until: datetime
    repeat_window_hours: float
    # The headline numbers of earlier releases, kept for their clients.
    sessions: int
    answers: int
    messages_by_mode: dict[str, int]
    refusal_rate: float | None
    thumbs_up: int
    thumbs_down: int
    escalations: int
    latency_ms_p50: float | None
    latency_ms_p95: float | None
    metrics: MetricSetOut
    by: dict[str, list[BreakdownOut]] = Field(description="day, kb, channel, lang, arm -> one row per value")


class FailedQuestionOut(BaseModel):
    conversation_id: str
    message_id: str
    text: str
    kb: str
    channel: str
    lang: str
    created_at: datetime
    reasons: list[str] = Field(description="refused | low_confidence | thumbs_down | escalated")


class ChunkRefOut(BaseModel):
    chunk_id: str
    source: str
    title: str
    text: str
    hits: int = Field(description="questions of the cluster that retrieved this chunk first")


class GapClusterOut(BaseModel):
    id: int = Field(description="rank: by volume, then trend")
    name: str = Field(description="the cluster's most central question")
    kb: str
    volume: int
    recent: int = Field(description="questions in the second half of the window")
    earlier: int
    trend: int = Field(description="recent - earlier")
    reasons: dict[str, int]
    examples: list[FailedQuestionOut]
    chunks: list[ChunkRefOut]
    agent_answers: list[str]
    conversation_ids: list[str]


class GapReportOut(BaseModel):
    since: datetime
    until: datetime
    failed: int
    clusters: list[GapClusterOut]
    unclustered: list[FailedQuestionOut]


class GapCandidateIn(Strict):
    kb: Key
    question: SafeText = Field(min_length=1, max_length=2000, description="usually the cluster's name")
    answer: SafeText = Field("", max_length=20000, description="an agent's answer from the cluster, or empty")
    volume: int | None = Field(
        None, ge=1, le=2**31 - 1, description="the cluster's size, kept in the note for the reviewer"
    )


class QaSignalOut(BaseModel):
    code: str
    count: int
    weight: float
    points: float = Field(description="count x weight")
    message_ids: list[str]


class JudgedQaOut(BaseModel):
    model: str
    rating: int | None = Field(description="the judge's 1-5 rating; None when it failed")
    score: float | None = Field(description="(rating - 1) x 25")
    reason: str
    error: str | None


class QaScoreOut(BaseModel):
    conversation_id: str
    kb: str
    channel: str
    lang: str
    day: str
    score: float = Field(description="100 plus the points of every signal, clamped to [0, 100]")
    signals: list[QaSignalOut]
    explanation: str
    judged: JudgedQaOut | None = Field(None, description="the LLM judge's view, when asked for (judge=true)")


class FaqEntryOut(BaseModel):
    """One FAQ entry of a knowledge base as retrieval sees it: typed in the console, accepted from
    a candidate, or a row of an uploaded csv/xlsx/jsonl FAQ file."""

    chunk_id: str
    doc_id: str
    source: str
    question: str
    similar_questions: list[str]
    answer: str
    editable: bool = Field(description="an entry of the FAQ editor (PUT/DELETE /v1/kbs/{kb}/faqs/{doc_id})")
