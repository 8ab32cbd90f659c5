"""The human agents' desk: the inbox of escalation tickets, claim -> reply -> resolve, a live feed.

Tickets come from assistant.escalation (opened by its policy after a turn, or by the customer's
"talk to a human"); resolving one proposes an FAQ entry for the owners to review.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from api.answers import SSE_HEADERS, message_out, sse
from api.auth import Principal
from api.channels.outbound import after_agent_reply
from api.deps import AGENT, require, services
from api.errors import value_errors_as_invalid_input
from api.schemas import AgentReplyIn, MessageOut, ResolutionOut, ResolveIn, RowId, TicketOut
from api.services import Services
from api.tickets import candidate_out, ticket_out
from assistant.models import ChatMessage

router = APIRouter(prefix="/v1/agent", tags=["agents"])

Agent = Annotated[Principal, Depends(require(*AGENT))]
Svc = Annotated[Services, Depends(services)]

FEED_POLL_S = 1.0  # the feed reads the database, so it sees tickets opened by any worker
FEED_KEEPALIVE_S = 15.0


def _visible(who: Principal, ticket: Any) -> bool:
    return ticket.tenant == who.tenant and (not who.kbs or ticket.kb_name in who.kbs)


def _tickets(svc: Services, who: Principal, statuses: tuple[str, ...], mine: bool = False) -> list[Any]:
    tickets = svc.desk().inbox(
        statuses=statuses, tenant=who.tenant, assignee=who.key_id if mine else None, limit=500
    )
    return [t for t in tickets if _visible(who, t)]


def _ticket(svc: Services, who: Principal, ticket_id: int) -> Any:
    from assistant.escalation.tickets import TicketNotFound

    ticket = svc.desk().ticket(ticket_id)
    if not _visible(who, ticket):  # the same 404 as a ticket that does not exist
        raise TicketNotFound(ticket_id)
    return ticket


@router.get("/inbox", response_model=list[TicketOut])
def inbox(
    who: Agent,
    svc: Svc,
    ticket_status: Annotated[
        Literal["active", "open", "claimed", "resolved"], Query(alias="status")
    ] = "active",
    mine: bool = False,
) -> list[TicketOut]:
    """Tickets, most urgent first then oldest: `active` (open and claimed, the default), or one status."""
    statuses = ("open", "claimed") if ticket_status == "active" else (ticket_status,)
    return [ticket_out(t) for t in _tickets(svc, who, statuses, mine)]


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def get_ticket(ticket_id: RowId, who: Agent, svc: Svc) -> TicketOut:
    """One ticket with its handoff package; the transcript is GET /v1/sessions/{session_id}/messages."""
    return ticket_out(_ticket(svc, who, ticket_id))


@router.post("/tickets/{ticket_id}/claim", response_model=TicketOut)
def claim(ticket_id: RowId, who: Agent, svc: Svc) -> TicketOut:
    _ticket(svc, who, ticket_id)
    return ticket_out(svc.desk().claim(ticket_id, who.key_id))


@router.post("/tickets/{ticket_id}/reply", status_code=status.HTTP_201_CREATED, response_model=MessageOut)
def reply(
    ticket_id: RowId, body: AgentReplyIn, who: Agent, svc: Svc, background: BackgroundTasks
) -> MessageOut:
    """Write to the customer in their conversation (claims an open ticket first). A customer on a
    messaging channel gets it pushed there after this response (GET /v1/channels/outbox)."""
    _ticket(svc, who, ticket_id)
    with value_errors_as_invalid_input():
        message = svc.desk().reply(ticket_id, who.key_id, body.text)
    after_agent_reply(svc, message, background)
    return message_out(message)


@router.post("/tickets/{ticket_id}/resolve", response_model=ResolutionOut)
def resolve(ticket_id: RowId, body: ResolveIn, who: Agent, svc: Svc) -> ResolutionOut:
    """Close the ticket with the answer that solved it; the bot answers the session again, and the
    answer is proposed as an FAQ entry (GET /v1/kbs/{kb}/faq-candidates)."""
    _ticket(svc, who, ticket_id)
    resolution = svc.desk().resolve(ticket_id, who.key_id, body.resolution, propose_faq=body.propose_faq)
    candidate = candidate_out(resolution.candidate) if resolution.candidate is not None else None
    return ResolutionOut(ticket=ticket_out(resolution.ticket), faq_candidate=candidate)


# -- live feed ------------------------------------------------------------------------------------


def _snapshot(svc: Services, who: Principal) -> dict[int, tuple[Any, int]]:
    """Active tickets -> (ticket, last message seq of its conversation)."""
    tickets = _tickets(svc, who, ("open", "claimed"))
    if not tickets:
        return {}
    with svc.db.session() as session:
        rows = session.execute(
            select(ChatMessage.conversation_id, func.max(ChatMessage.seq))
            .where(ChatMessage.conversation_id.in_([t.conversation_id for t in tickets]))
            .group_by(ChatMessage.conversation_id)
        )
        seqs = {conversation_id: seq for conversation_id, seq in rows}
    return {t.id: (t, int(seqs.get(t.conversation_id) or 0)) for t in tickets}


def _messages_after(svc: Services, conversation_id: str, seq: int) -> list[MessageOut]:
    with svc.db.session() as session:
        rows = session.scalars(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conversation_id, ChatMessage.seq > seq)
            .order_by(ChatMessage.seq)
        )
        return [message_out(m) for m in rows]


def _changes(
    svc: Services, before: dict[int, tuple[Any, int]], now: dict[int, tuple[Any, int]]
) -> list[bytes]:
    events = []
    for ticket_id in sorted(now.keys() - before.keys()):
        events.append(sse("ticket", ticket_out(now[ticket_id][0]).model_dump(mode="json")))
    for ticket_id in sorted(before.keys() - now.keys()):
        events.append(
            sse("closed", {"ticket_id": ticket_id, "session_id": before[ticket_id][0].conversation_id})
        )
    for ticket_id in sorted(now.keys() & before.keys()):
        ticket, seq = now[ticket_id]
        if ticket.status != before[ticket_id][0].status or ticket.assignee != before[ticket_id][0].assignee:
            events.append(sse("ticket", ticket_out(ticket).model_dump(mode="json")))
        if seq > before[ticket_id][1]:
            new = _messages_after(svc, ticket.conversation_id, before[ticket_id][1])
            events.append(
                sse(
                    "message",
                    {
                        "ticket_id": ticket_id,
                        "session_id": ticket.conversation_id,
                        "messages": [m.model_dump(mode="json") for m in new],
                    },
                )
            )
    return events


async def _feed(request: Request, svc: Services, who: Principal) -> AsyncIterator[bytes]:
    seen = await run_in_threadpool(_snapshot, svc, who)
    yield sse("inbox", [ticket_out(t).model_dump(mode="json") for t, _ in seen.values()])
    quiet_since = time.monotonic()
    while not await request.is_disconnected():
        await asyncio.sleep(FEED_POLL_S)
        now = await run_in_threadpool(_snapshot, svc, who)
        events = await run_in_threadpool(_changes, svc, seen, now)
        seen = now
        for event in events:
            yield event
        if events:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > FEED_KEEPALIVE_S:
            quiet_since = time.monotonic()
            yield b": keep-alive\n\n"


@router.get("/feed", responses={200: {"content": {"text/event-stream": {}}}})
async def feed(request: Request, who: Agent, svc: Svc) -> StreamingResponse:
    """Server-sent events: `inbox` (the active tickets, first), then `ticket` (opened, claimed),
    `message` (new messages in a ticket's conversation) and `closed` (resolved) as they happen."""
    return StreamingResponse(_feed(request, svc, who), media_type="text/event-stream", headers=SSE_HEADERS)
