"""Release arms of a knowledge base (assistant/releases.py): start a candidate on a share of new
sessions, watch the arms side by side, change the share, abort, promote through the eval gate.

Starting, sharing, aborting and promoting are owners' (KNOWLEDGE); owners and QA read the status.
Promote runs the release's eval suite on both arms (api/release_gate.py) before anything is
published, so it takes as long as the suite does; a failed gate is a 409 listing the failed checks.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, UTC
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import Principal
from api.deps import load_kb, require
from api.release_gate import GateRefused, promote
from api.routers.knowledge import Owner, Svc, writing
from api.routers.versions import VERSION_READERS
from api.schemas import Key
from api.schemas_analytics import MetricSetOut
from api.schemas_releases import ArmOut, GateRefusedOut, ReleaseOut, ReleaseShareIn, ReleaseStartIn
from api.services import Services
from assistant.releases import (
    CANDIDATE,
    PUBLISHED,
    Release,
    ReleaseStore,
    arm_metrics,
)
from ingest.db import Database
from ingest.models import KnowledgeBase

router = APIRouter(prefix="/v1", tags=["releases"])

Reader = Annotated[Principal, Depends(require(*VERSION_READERS))]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def release_out(db: Database, release: Release) -> ReleaseOut:
    """The release with its arms side by side (also `kefu release status --json`)."""
    store = ReleaseStore(db)
    arms = store.arms(release)
    sessions = store.assignments(release.id)
    metrics = arm_metrics(db, release)
    with db.session() as session:
        published = load_published(session, release.kb_name)
    versions: dict[str, int | None] = {
        PUBLISHED: published,
        CANDIDATE: release.candidate_version or published,
    }
    return ReleaseOut(
        id=release.id,
        kb=release.kb_name,
        state=release.state,
        share=release.share,
        suite=release.suite,
        started_at=_utc(release.started_at),
        ended_at=_utc(release.ended_at),
        started_by=release.started_by,
        gate=release.gate or {},
        arms=[
            ArmOut(
                name=name,
                version=versions[name],
                settings=dict(arm.overrides),
                sessions=sessions[name],
                metrics=MetricSetOut(**asdict(metrics[name])),
            )
            for name, arm in arms.items()
        ],
    )


def load_published(session: Session, kb_name: str) -> int | None:
    return session.scalar(select(KnowledgeBase.published_version).where(KnowledgeBase.name == kb_name))


def _check_kb(svc: Services, who: Principal, kb: str) -> None:
    with svc.db.session() as session:
        load_kb(session, who, kb)


def check_suite(suite: str) -> None:
    """A suite named through the API is one of the data sets of the data sets folder (or a
    built-in one), never a path on the server."""
    from eval.datasets import available

    names = available()
    if suite not in names:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"no eval suite {suite!r}; the data sets folder has: {', '.join(names)}",
        )


@router.get("/kbs/{kb}/release", response_model=ReleaseOut)
def release_status(kb: Key, who: Reader, svc: Svc) -> ReleaseOut:
    """The running release (else the latest one) with its arms side by side: sessions, answers,
    refusals, transfers, thumbs and latency from the stored turns."""
    _check_kb(svc, who, kb)
    return release_out(svc.db, ReleaseStore(svc.db).latest(kb))


@router.post("/kbs/{kb}/release", response_model=ReleaseOut, status_code=status.HTTP_201_CREATED)
def start_release(kb: Key, body: ReleaseStartIn, who: Owner, svc: Svc) -> ReleaseOut:
    """Serve a candidate (a knowledge-base version and/or settings) to `share` of new sessions."""
    _check_kb(svc, who, kb)
    check_suite(body.suite)
    release = ReleaseStore(svc.db).start(
        kb,
        share=body.share,
        candidate_version=body.version,
        candidate_config=body.settings,
        suite=body.suite,
        started_by=who.name or who.key_id,
    )
    return release_out(svc.db, release)


@router.put("/kbs/{kb}/release/share", response_model=ReleaseOut)
def set_share(kb: Key, body: ReleaseShareIn, who: Owner, svc: Svc) -> ReleaseOut:
    """Change the candidate's share of new sessions; sessions already assigned keep their arm."""
    _check_kb(svc, who, kb)
    return release_out(svc.db, ReleaseStore(svc.db).set_share(kb, body.share))


@router.post("/kbs/{kb}/release/abort", response_model=ReleaseOut)
def abort_release(kb: Key, who: Owner, svc: Svc) -> ReleaseOut:
    """Every session is served the published configuration from its next turn on."""
    _check_kb(svc, who, kb)
    return release_out(svc.db, ReleaseStore(svc.db).abort(kb))


@router.post(
    "/kbs/{kb}/release/promote",
    response_model=ReleaseOut,
    responses={status.HTTP_409_CONFLICT: {"model": GateRefusedOut}},
)
async def promote_release(kb: Key, who: Owner, svc: Svc) -> ReleaseOut | JSONResponse:
    """Run the release's eval suite on both arms; publish the candidate only if the gate passes."""
    await run_in_threadpool(_check_kb, svc, who, kb)
    try:
        release = await run_in_threadpool(
            promote, svc.settings, ReleaseStore(svc.db), kb, hold=lambda: writing(svc, kb)
        )
    except GateRefused as refused:
        body = GateRefusedOut(
            detail=str(refused),
            failures=refused.verdict["failures"],
            checked=refused.verdict["checked"],
            baseline_run=refused.verdict["baseline_run"],
            candidate_run=refused.verdict["candidate_run"],
        )
        return JSONResponse(body.model_dump(), status_code=status.HTTP_409_CONFLICT)
    return await run_in_threadpool(release_out, svc.db, release)
