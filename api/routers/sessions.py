"""Chat sessions: create, ask (JSON or SSE), history, feedback, escalation to a human."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from api.answers import (
    SSE_HEADERS,
    open_turn,
    answer_request,
    message_out,
    result_out,
    stream_answer,
    wants_stream,
)
from api.auth import Principal
from api.chat_limits import check_message
from api.deps import CHAT, READ_SESSIONS, load_conversation, load_kb, require, services
from api.schemas import (
    AnswerOut,
    CreateSession,
    EscalateIn,
    EscalationOut,
    FeedbackIn,
    FeedbackOut,
    Key,
    MessageOut,
    SendMessage,
    Seq,
    SessionOut,
)
from api.services import Services
from api.tickets import escalate_on_request, ticket_out
from assistant.models import ChatMessage, Conversation, Feedback

router = APIRouter(prefix="/v1", tags=["chat"])

Chatter = Annotated[Principal, Depends(require(*CHAT))]
Reader = Annotated[Principal, Depends(require(*READ_SESSIONS))]
Svc = Annotated[Services, Depends(services)]


def session_out(row: Conversation) -> SessionOut:
    profile = {k: v for k, v in (row.user_profile or {}).items() if k != "api_key_id"}
    return SessionOut(
        id=row.id,
        kb=row.kb_name,
        channel=row.channel,
        state=row.state,
        user_id=row.user_id,
        user_profile=profile,
        created_at=row.created_at,
    )


@router.post("/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionOut)
def create_session(body: CreateSession, who: Chatter, svc: Svc) -> SessionOut:
    with svc.db.session() as session:
        kb = load_kb(session, who, body.kb)
        # The creating key is remembered so a customer key sees only its own sessions.
        row = Conversation(
            kb_name=kb.name,
            tenant=who.tenant,
            channel=body.channel,
            user_id=body.user_id,
            user_profile={**body.user_profile, "api_key_id": who.key_id},
        )
        session.add(row)
        session.flush()
        return session_out(row)


@router.get("/sessions/{session_id}", response_model=SessionOut)
def get_session(session_id: Key, who: Reader, svc: Svc) -> SessionOut:
    with svc.db.session() as session:
        return session_out(load_conversation(session, who, session_id))


def _conversation(svc: Services, who: Principal, session_id: str) -> Conversation:
    with svc.db.session() as session:
        return load_conversation(session, who, session_id)


@router.post(
    "/sessions/{session_id}/messages",
    response_model=AnswerOut,
    responses={200: {"content": {"text/event-stream": {}}, "description": "JSON, or SSE when asked for"}},
)
async def send_message(
    session_id: Key, body: SendMessage, who: Chatter, svc: Svc, accept: Annotated[str | None, Header()] = None
) -> AnswerOut | StreamingResponse:
    """Ask a question in the session. With `Accept: text/event-stream` the answer streams as
    server-sent events: `sources`, `token`*, then `final` (or `error`). The `final` event carries
    the decided reply as stored: show its text (the streamed draft may have failed a check)."""
    check_message(svc.settings, body.text)
    request = answer_request(who, session_id, body.text)
    pipeline, conversation = await open_turn(svc, request)  # the turn's one read of the session
    if wants_stream(accept):
        return StreamingResponse(
            stream_answer(pipeline, request, conversation),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )
    return result_out(await run_in_threadpool(pipeline.run, request, conversation))


@router.get("/sessions/{session_id}/messages", response_model=list[MessageOut])
def history(
    session_id: Key,
    who: Reader,
    svc: Svc,
    after: Annotated[Seq, Query(description="Only messages with seq greater than this.")] = 0,
) -> list[MessageOut]:
    with svc.db.session() as session:
        load_conversation(session, who, session_id)
        rows = session.scalars(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == session_id, ChatMessage.seq > after)
            .order_by(ChatMessage.seq)
        )
        return [message_out(m) for m in rows]


@router.post(
    "/messages/{message_id}/feedback", status_code=status.HTTP_201_CREATED, response_model=FeedbackOut
)
def feedback(message_id: Key, body: FeedbackIn, who: Chatter, svc: Svc) -> FeedbackOut:
    with svc.db.session() as session:
        message = session.get(ChatMessage, message_id)
        if message is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"message {message_id!r} not found")
        try:
            load_conversation(session, who, message.conversation_id)
        except HTTPException:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"message {message_id!r} not found") from None
        if message.role not in ("assistant", "agent"):
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "feedback is for answers (assistant or agent messages)"
            )
        row = Feedback(message_id=message.id, rating=body.rating, score=body.score, comment=body.comment)
        session.add(row)
        session.flush()
        return FeedbackOut(
            id=row.id, message_id=row.message_id, rating=row.rating, score=row.score, comment=row.comment
        )


@router.post("/sessions/{session_id}/escalate", response_model=EscalationOut)
def escalate(session_id: Key, body: EscalateIn, who: Chatter, svc: Svc) -> EscalationOut:
    """Hand the session to a human: a ticket with the handoff package enters the agents' inbox and
    the bot stops answering. Asking again returns the open ticket."""
    _conversation(svc, who, session_id)
    ticket = escalate_on_request(svc, session_id, body.reason)
    return EscalationOut(session_id=session_id, state="human", ticket=ticket_out(ticket))
