"""Numbers for owners and QA, computed from the messages and feedback tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from api.auth import Principal
from api.deps import ANALYTICS, ANY, load_kb, require, services
from api.schemas import AnalyticsOut, Key, KeyInfo
from api.services import Services
from assistant.escalation.models import EscalationTicket
from assistant.models import ChatMessage, Conversation, Feedback
from ingest.models import utcnow

router = APIRouter(prefix="/v1", tags=["analytics"])

LATENCY_SAMPLE = 10_000  # percentiles over at most this many recent answers


@router.get("/me", response_model=KeyInfo, tags=["identity"])
def me(who: Annotated[Principal, Depends(require(*ANY))]) -> KeyInfo:
    """The calling key: role, tenant and knowledge-base scope (the console uses it to log in)."""
    return KeyInfo(id=who.key_id, name=who.name, role=who.role, tenant=who.tenant, kbs=list(who.kbs))


@router.get("/analytics", response_model=AnalyticsOut)
def analytics(
    who: Annotated[Principal, Depends(require(*ANALYTICS))],
    svc: Annotated[Services, Depends(services)],
    kb: Key | None = None,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> AnalyticsOut:
    since = utcnow() - timedelta(days=days)
    with svc.db.session() as session:
        scope = [Conversation.tenant == who.tenant]
        if kb is not None:
            scope.append(Conversation.kb_name == load_kb(session, who, kb).name)
        elif who.kbs:
            scope.append(Conversation.kb_name.in_(who.kbs))
        in_scope = [ChatMessage.created_at >= since, *scope]
        joined = select(ChatMessage).join(Conversation, Conversation.id == ChatMessage.conversation_id)

        by_mode = dict(
            session.execute(
                select(ChatMessage.mode, func.count())
                .join(Conversation, Conversation.id == ChatMessage.conversation_id)
                .where(ChatMessage.role == "assistant", *in_scope)
                .group_by(ChatMessage.mode)
            ).all()
        )
        latencies = list(
            session.scalars(
                joined.with_only_columns(ChatMessage.latency_ms)
                .where(ChatMessage.role == "assistant", ChatMessage.latency_ms.is_not(None), *in_scope)
                .order_by(ChatMessage.created_at.desc())
                .limit(LATENCY_SAMPLE)
            )
        )
        ratings = dict(
            session.execute(
                select(Feedback.rating, func.count())
                .join(ChatMessage, ChatMessage.id == Feedback.message_id)
                .join(Conversation, Conversation.id == ChatMessage.conversation_id)
                .where(Feedback.created_at >= since, *scope)
                .group_by(Feedback.rating)
            ).all()
        )
        ticket_scope = [EscalationTicket.tenant == who.tenant, EscalationTicket.created_at >= since]
        if kb is not None:
            ticket_scope.append(EscalationTicket.kb_name == kb)
        elif who.kbs:
            ticket_scope.append(EscalationTicket.kb_name.in_(who.kbs))
        escalations = session.scalar(select(func.count()).select_from(EscalationTicket).where(*ticket_scope))
        sessions = session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.created_at >= since, *scope)
        )
    answers = sum(by_mode.values())
    p50, p95 = (
        (round(float(np.percentile(latencies, 50)), 1), round(float(np.percentile(latencies, 95)), 1))
        if latencies else (None, None)
    )
    return AnalyticsOut(
        kb=kb, days=days, sessions=sessions or 0, answers=answers,
        messages_by_mode={str(mode): count for mode, count in by_mode.items()},
        refusal_rate=round(by_mode.get("refused", 0) / answers, 4) if answers else None,
        thumbs_up=ratings.get(1, 0), thumbs_down=ratings.get(-1, 0), escalations=escalations,
        latency_ms_p50=p50, latency_ms_p95=p95,
    )
