"""Agent replies pushed to customers who came in through a messaging channel.

A web or API customer reads an agent's reply from the session; a channel user sees only what is
sent to their platform. So after the agent desk (assistant.escalation.agents) stores a reply, the
API route calls `after_agent_reply`: when the conversation's channel has a registered pusher, a
row is written to the outbox first (the reply is never silently dropped), and the push runs after
the HTTP response, with a bounded number of attempts. The outcome -- delivered, or failed with the
error -- is on the row (GET /v1/channels/outbox, POST .../{id}/retry) and a failure is also noted
in the transcript the agent is looking at. The assistant package knows nothing of channels: the
dependency points from api to assistant only.

    GET  /v1/channels/outbox?status=failed&session_id=...     pushes of the caller's tenant
    POST /v1/channels/outbox/{id}/retry                        push a failed (or stuck pending) one again
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, status
from pydantic import BaseModel
from sqlalchemy import select, update

from api.auth import Principal
from api.channels.models import ChannelDelivery
from ingest.config import Settings
from api.deps import AGENT, require, services
from api.schemas import Key, RowId
from api.services import Services
from assistant.models import ChatMessage, Conversation
from ingest.errors import Unavailable
from ingest.models import utcnow

log = logging.getLogger("kefu.api.channels")

ERROR_CHARS = 2000  # of a failure's message kept on the row


class PushError(Unavailable):
    """A push that did not get through. `permanent`: trying again cannot help (no callback
    configured, the platform refused the user...), so the remaining attempts are skipped."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Push:
    delivery_id: int
    channel: str
    kb: str
    conversation_id: str
    message_id: str
    user_id: str
    text: str
    created_at: datetime


class Pusher(Protocol):
    """Send one agent reply to the channel user; raise PushError when it did not get through.
    `state` survives between the attempts of one delivery (e.g. parts of a split message already sent)."""

    def __call__(self, settings: Settings, push: Push, state: dict[str, Any], /) -> None: ...


PUSHERS: dict[str, Pusher] = {}


def register_pusher(channel: str, pusher: Pusher) -> None:
    if channel in PUSHERS:
        raise ValueError(f"a pusher for channel {channel!r} is registered twice")
    PUSHERS[channel] = pusher


def pusher_for(channel: str) -> Pusher | None:
    from api.channels import channel_routers

    channel_routers()  # the adapters register their pushers when loaded
    return PUSHERS.get(channel)


# -- recording and delivering ----------------------------------------------------------------------


def record(svc: Services, message: ChatMessage) -> int | None:
    """The outbox row for an agent message, when its conversation came from a pushing channel."""
    with svc.db.session() as session:
        conversation = session.get(Conversation, message.conversation_id)
        if conversation is None or pusher_for(conversation.channel) is None:
            return None
        row = ChannelDelivery(
            channel=conversation.channel,
            kb_name=conversation.kb_name,
            tenant=conversation.tenant,
            conversation_id=conversation.id,
            message_id=message.id,
            user_id=conversation.user_id or "",
        )
        session.add(row)
        session.flush()
        return row.id


def _claim(svc: Services, delivery_id: int) -> Push | None:
    """pending -> sending, so two runs (a retry racing the first push) never send twice."""
    with svc.db.session() as session:
        claimed = session.execute(
            update(ChannelDelivery)
            .where(ChannelDelivery.id == delivery_id, ChannelDelivery.status == "pending")
            .values(status="sending", updated_at=utcnow())
        )
        if claimed.rowcount == 0:  # type: ignore[attr-defined]
            return None
        row = session.get(ChannelDelivery, delivery_id)
        message = session.get(ChatMessage, row.message_id) if row is not None else None
        if row is None or message is None:
            return None
        return Push(
            delivery_id=row.id,
            channel=row.channel,
            kb=row.kb_name,
            conversation_id=row.conversation_id,
            message_id=row.message_id,
            user_id=row.user_id,
            text=message.content,
            created_at=message.created_at,
        )


def _save(svc: Services, delivery_id: int, **values: Any) -> None:
    with svc.db.session() as session:
        session.execute(
            update(ChannelDelivery)
            .where(ChannelDelivery.id == delivery_id)
            .values(updated_at=utcnow(), **values)
        )


def _note_failure(svc: Services, push: Push, error: str) -> None:
    """A system line in the transcript: the agent's console and live feed show it next to the reply."""
    from assistant.escalation.hook import add_system_message

    with svc.db.session() as session:
        add_system_message(
            session,
            push.conversation_id,
            f"reply not delivered to the {push.channel} user: {error}",
            {
                "delivery": {
                    "id": push.delivery_id,
                    "status": "failed",
                    "message_id": push.message_id,
                    "channel": push.channel,
                    "error": error,
                }
            },
        )


def deliver(svc: Services, delivery_id: int) -> str | None:
    """Push a pending delivery, trying up to `channel_push_attempts` times; returns the final status
    (None when another run had claimed it). Never raises: it runs after the agent's response."""
    try:
        return _deliver(svc, delivery_id)
    except Exception:
        log.exception("channel delivery %s crashed", delivery_id)
        return None


def _deliver(svc: Services, delivery_id: int) -> str | None:
    push = _claim(svc, delivery_id)
    if push is None:
        return None
    settings = svc.settings
    pusher = pusher_for(push.channel)
    state: dict[str, Any] = {}
    error = f"no pusher is registered for channel {push.channel!r}"
    for attempt in range(1, settings.channel_push_attempts + 1):
        permanent = pusher is None
        if pusher is not None:
            try:
                pusher(settings, push, state)
                _save(
                    svc,
                    delivery_id,
                    status="delivered",
                    attempts=attempt,
                    last_error=None,
                    delivered_at=utcnow(),
                )
                return "delivered"
            except PushError as exc:
                error, permanent = str(exc), exc.permanent
            except Exception as exc:  # a pusher bug still ends as a recorded failure, not a lost reply
                log.exception("channel pusher %s crashed", push.channel)
                error = f"{type(exc).__name__}: {exc}"
        error = error[:ERROR_CHARS]
        _save(svc, delivery_id, attempts=attempt, last_error=error)
        log.warning("push %s to %s failed (attempt %d): %s", delivery_id, push.channel, attempt, error)
        if permanent:
            break
        if attempt < settings.channel_push_attempts and settings.channel_push_backoff_s > 0:
            time.sleep(settings.channel_push_backoff_s * 2 ** (attempt - 1))
    _save(svc, delivery_id, status="failed")
    _note_failure(svc, push, error)
    return "failed"


def after_agent_reply(svc: Services, message: ChatMessage, background: BackgroundTasks) -> int | None:
    """The hook the agent-reply route calls once the reply is stored: records the push (if the
    customer is on a channel) and sends it after the response. The agent's reply stands whatever
    happens here, so an error is logged rather than turned into a 500 (a retried reply would post twice)."""
    try:
        delivery_id = record(svc, message)
    except Exception:
        log.exception("could not record the channel push of message %s", message.id)
        return None
    if delivery_id is not None:
        background.add_task(deliver, svc, delivery_id)
    return delivery_id


def resume(svc: Services) -> list[int]:
    """At start-up: push again what a stopped server left behind, and return those delivery ids.

    A "pending" row older than a minute was recorded but its push never ran (the process stopped
    between the reply and the background task). A "sending" row older than the longest a push can
    take (every attempt timing out, with the backoffs) was cut off mid-send. Both go back to
    pending and are sent again: at-least-once, since a push cut off after the platform accepted
    it is sent twice (the webhook payload carries the message id for receivers to de-duplicate).
    Concurrent workers doing this at once are safe: `_claim` lets one of them send each row.
    """
    settings = svc.settings
    attempts = settings.channel_push_attempts
    longest_send = attempts * settings.channel_push_timeout_s + settings.channel_push_backoff_s * (
        2**attempts
    )
    now = utcnow()
    stale_sending = now - timedelta(seconds=longest_send + 60)
    stale_pending = now - timedelta(seconds=60)
    with svc.db.session() as session:
        session.execute(
            update(ChannelDelivery)
            .where(ChannelDelivery.status == "sending", ChannelDelivery.updated_at < stale_sending)
            .values(status="pending", last_error="interrupted while sending: the server stopped; sent again")
        )
        ids = list(
            session.scalars(
                select(ChannelDelivery.id)
                .where(ChannelDelivery.status == "pending", ChannelDelivery.updated_at < stale_pending)
                .order_by(ChannelDelivery.id)
            )
        )
    for delivery_id in ids:
        deliver(svc, delivery_id)
    return ids


# -- the outbox over HTTP ----------------------------------------------------------------------------

router = APIRouter(tags=["channels"])

Agent = Annotated[Principal, Depends(require(*AGENT))]
Svc = Annotated[Services, Depends(services)]


class DeliveryOut(BaseModel):
    id: int
    channel: str
    kb: str
    session_id: str
    message_id: str
    user_id: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None


def delivery_out(row: ChannelDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=row.id,
        channel=row.channel,
        kb=row.kb_name,
        session_id=row.conversation_id,
        message_id=row.message_id,
        user_id=row.user_id,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        delivered_at=row.delivered_at,
    )


def _visible(who: Principal, row: ChannelDelivery) -> bool:
    return row.tenant == who.tenant and (not who.kbs or row.kb_name in who.kbs)


@router.get("", response_model=list[DeliveryOut])
def outbox(
    who: Agent,
    svc: Svc,
    delivery_status: Annotated[
        Literal["pending", "sending", "delivered", "failed"] | None, Query(alias="status")
    ] = None,
    session_id: Key | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """Pushes of agent replies to channel users, newest first."""
    query = select(ChannelDelivery).where(ChannelDelivery.tenant == who.tenant)
    if who.kbs:
        query = query.where(ChannelDelivery.kb_name.in_(who.kbs))
    if delivery_status is not None:
        query = query.where(ChannelDelivery.status == delivery_status)
    if session_id is not None:
        query = query.where(ChannelDelivery.conversation_id == session_id)
    with svc.db.session() as session:
        rows = session.scalars(query.order_by(ChannelDelivery.id.desc()).limit(limit))
        return [delivery_out(row) for row in rows]


@router.post("/{delivery_id}/retry", status_code=status.HTTP_202_ACCEPTED, response_model=DeliveryOut)
def retry(delivery_id: RowId, who: Agent, svc: Svc, background: BackgroundTasks) -> DeliveryOut:
    """Push a failed delivery again (or a pending one a crash left behind); 409 while it is sending
    or once delivered."""
    with svc.db.session() as session:
        row = session.get(ChannelDelivery, delivery_id)
        if row is None or not _visible(who, row):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"delivery {delivery_id} not found")
        reset = session.execute(
            update(ChannelDelivery)
            .where(ChannelDelivery.id == delivery_id, ChannelDelivery.status.in_(("failed", "pending")))
            .values(status="pending", updated_at=utcnow())
        )
        if reset.rowcount == 0:  # type: ignore[attr-defined]
            raise HTTPException(
                status.HTTP_409_CONFLICT, f"delivery {delivery_id} is {row.status}; nothing to retry"
            )
        session.refresh(row)
        out = delivery_out(row)
    background.add_task(deliver, svc, delivery_id)
    return out
