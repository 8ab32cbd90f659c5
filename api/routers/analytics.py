"""Numbers for owners and QA: the metrics service (assistant/analytics/metrics.py) over a window."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.deps import ANALYTICS, ANY, load_conversation, load_kb, require, services
from api.schemas import CandidateOut, Key, KeyInfo
from api.schemas_analytics import AnalyticsOut, GapCandidateIn, GapReportOut, QaScoreOut
from api.services import Services
from api.tickets import candidate_out
from assistant.analytics.facts import DIMENSIONS, Scope
from assistant.analytics.gaps import GapMiner
from assistant.analytics.qa import QaScore, QaService
from assistant.analytics.qa_judge import QaJudge
from assistant.analytics.metrics import MetricsService, last_days
from assistant.escalation.tickets import aware

router = APIRouter(prefix="/v1", tags=["analytics"])

Analyst = Annotated[Principal, Depends(require(*ANALYTICS))]
Svc = Annotated[Services, Depends(services)]


@router.get("/me", response_model=KeyInfo, tags=["identity"])
def me(who: Annotated[Principal, Depends(require(*ANY))]) -> KeyInfo:
    """The calling key: role, tenant and knowledge-base scope (the console uses it to log in)."""
    return KeyInfo(id=who.key_id, name=who.name, role=who.role, tenant=who.tenant, kbs=list(who.kbs))


def analytics_scope(
    svc: Services, who: Principal, kb: str | None, days: int, since: datetime | None, until: datetime | None
) -> Scope:
    """Conversations started in [since, until) (default: the last `days` days) of the caller's
    tenant, in one of its knowledge bases (404 outside its scope) or in all it may see."""
    default_since, default_until = last_days(days, now=aware(until))
    since, until = aware(since) or default_since, aware(until) or default_until
    if since >= until:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "`since` must be before `until`")
    if kb is not None:
        with svc.db.session() as session:
            return Scope(since, until, tenant=who.tenant, kbs=(load_kb(session, who, kb).name,))
    return Scope(since, until, tenant=who.tenant, kbs=tuple(who.kbs) if who.kbs else None)


@dataclass(frozen=True)
class AnalyticsWindow:
    """The query parameters every analytics route takes, resolved once into a Scope."""

    kb: str | None
    days: int
    scope: Scope


def analytics_window(
    who: Analyst,
    svc: Svc,
    kb: Key | None = None,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AnalyticsWindow:
    return AnalyticsWindow(kb, days, analytics_scope(svc, who, kb, days, since, until))


Window = Annotated[AnalyticsWindow, Depends(analytics_window)]


def parse_dimensions(by: str | None) -> list[str]:
    names = [n.strip() for n in (by or ",".join(DIMENSIONS)).split(",") if n.strip()]
    unknown = sorted(set(names) - set(DIMENSIONS))
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"unknown dimensions {unknown}; known: {list(DIMENSIONS)}"
        )
    return names


@router.get("/analytics", response_model=AnalyticsOut)
async def analytics(
    svc: Svc,
    window: Window,
    by: Annotated[
        str | None, Query(description="comma-separated: day,kb,channel,lang,arm (default all)")
    ] = None,
    repeat_window_hours: Annotated[float | None, Query(gt=0, le=24 * 90)] = None,
) -> AnalyticsOut:
    """Resolution, transfer, refusal, CSAT, latency and agent figures, overall and per dimension,
    for conversations started in the window (`since`/`until`, ISO dates or times in UTC, else the
    last `days` days)."""
    dimensions = parse_dimensions(by)
    report = await run_in_threadpool(
        MetricsService(svc.db).run,
        window.scope,
        dimensions=dimensions,
        repeat_window_hours=repeat_window_hours,
    )
    m = report.overall
    return AnalyticsOut(
        kb=window.kb,
        days=window.days,
        since=report.since,
        until=report.until,
        repeat_window_hours=report.repeat_window_hours,
        sessions=m.sessions,
        answers=m.answers,
        messages_by_mode=m.answers_by_mode,
        refusal_rate=m.refusal_rate,
        thumbs_up=m.thumbs_up,
        thumbs_down=m.thumbs_down,
        escalations=m.tickets,
        latency_ms_p50=m.answer_ms_p50,
        latency_ms_p95=m.answer_ms_p95,
        metrics=asdict(m),
        by={
            name: [{"key": b.key, "metrics": asdict(b.metrics)} for b in rows]
            for name, rows in report.by.items()
        },
    )


@router.get("/analytics/gaps", response_model=GapReportOut)
async def gaps(svc: Svc, window: Window) -> GapReportOut:
    """What the bot could not answer: refused, low-confidence, thumbs-down and escalated questions
    clustered by topic, ranked by volume then trend, each with examples, the closest chunks and
    the agents' answers (definitions: assistant/analytics/gaps.py)."""
    report = await run_in_threadpool(gap_miner(svc).run, window.scope)
    clusters = [{**asdict(c), "trend": c.trend} for c in report.clusters]
    return GapReportOut(
        since=report.since,
        until=report.until,
        failed=report.failed,
        clusters=clusters,
        unclustered=[asdict(q) for q in report.unclustered],
    )


@router.post(
    "/analytics/gaps/faq-candidates", status_code=status.HTTP_201_CREATED, response_model=CandidateOut
)
async def gap_to_candidate(body: GapCandidateIn, who: Analyst, svc: Svc) -> CandidateOut:
    """Turn a gap cluster into an FAQ candidate for review (GET /v1/kbs/{kb}/faq-candidates):
    its question, and an agent's answer when the cluster has one (else the reviewer writes it)."""

    def propose() -> CandidateOut:
        with svc.db.session() as session:
            kb_name = load_kb(session, who, body.kb).name
        note = f"from a gap cluster of {body.volume} questions" if body.volume else "from a gap cluster"
        try:
            candidate = svc.knowledge_loop().propose_question(
                who.tenant, kb_name, body.question, body.answer, note=note
            )
        except ValueError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
        return candidate_out(candidate)

    return await run_in_threadpool(propose)


def gap_miner(svc: Services) -> GapMiner:
    from ingest.embedding import get_embedder  # the embedder loads on first use, not at start-up

    return GapMiner(svc.db, get_embedder(svc.settings))


def qa_out(score: QaScore) -> QaScoreOut:
    judged = None if score.judged is None else {**asdict(score.judged), "score": score.judged.score}
    return QaScoreOut(
        conversation_id=score.conversation_id,
        kb=score.kb,
        channel=score.channel,
        lang=score.lang,
        day=score.day,
        score=score.score,
        explanation=score.explain(),
        signals=[{**asdict(s), "points": s.points} for s in score.signals],
        judged=judged,
    )


def qa_service(svc: Services, judge: bool) -> QaService:
    """With judge=True the configured judge model rates each conversation too (422 without one)."""
    if not judge:
        return QaService(svc.db)
    model = svc.settings.analytics.qa_judge_model
    if not model:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "no QA judge model is configured (KEFU_ANALYTICS_QA_JUDGE_MODEL)",
        )
    return QaService(svc.db, judge=QaJudge(svc.settings, model))


@router.get("/analytics/qa", response_model=list[QaScoreOut])
async def qa_scores(
    svc: Svc,
    window: Window,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    judge: bool = False,
) -> list[QaScoreOut]:
    """The QA score of every conversation in the window, worst first, each with the signals that
    fired and their weights (assistant/analytics/qa.py); judge=true: the `limit` worst are also
    rated by the configured LLM judge (assistant/analytics/qa_judge.py)."""
    service = qa_service(svc, judge)
    scores = await run_in_threadpool(service.run, window.scope, limit=limit)
    return [qa_out(s) for s in scores]


@router.get("/analytics/qa/{conversation_id}", response_model=QaScoreOut)
async def qa_score(conversation_id: Key, who: Analyst, svc: Svc, judge: bool = False) -> QaScoreOut:
    service = qa_service(svc, judge)

    def score() -> QaScore:
        with svc.db.session() as session:
            load_conversation(session, who, conversation_id)  # 404 outside the caller's scope
        found = service.one(conversation_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"conversation {conversation_id!r} not found")
        return found

    return qa_out(await run_in_threadpool(score))
