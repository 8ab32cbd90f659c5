"""What every channel adapter shares: the knowledge base's tenant, the platform user's
conversation, and exactly-once answering per platform message id."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from api.answers import answer, result_out
from api.models import ChannelMessage
from api.services import Services
from assistant.conversations import ConversationStore, LoadedConversation
from ingest.models import KnowledgeBase


@dataclass
class Inbound:
    channel: str
    kb: str
    message_id: str
    user_id: str
    text: str
    user_profile: dict[str, Any]


@dataclass
class Outcome:
    reply: dict[str, Any] | None  # AnswerOut as JSON; None: a first delivery is still being answered
    duplicate: bool


def check_timestamp(timestamp: str, tolerance_s: int) -> None:
    """A signed timestamp too far from now is a replay (or a badly wrong clock): refuse it."""
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > tolerance_s:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, f"timestamp missing or more than {tolerance_s} s away from now"
        )


def same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def hmac_sha256(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def _claim(svc: Services, message: Inbound) -> tuple[str, ChannelMessage | None]:
    """Record the message id; returns the tenant and, when it was seen before, the earlier row."""
    with svc.db.session() as session:
        kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == message.kb))
        if kb is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"knowledge base {message.kb!r} not found")
        tenant = kb.tenant
    try:
        with svc.db.session() as session:
            session.add(
                ChannelMessage(channel=message.channel, kb_name=message.kb, message_id=message.message_id)
            )
        return tenant, None
    except IntegrityError:
        with svc.db.session() as session:
            earlier = session.scalar(
                select(ChannelMessage).where(
                    ChannelMessage.channel == message.channel,
                    ChannelMessage.kb_name == message.kb,
                    ChannelMessage.message_id == message.message_id,
                )
            )
        return tenant, earlier


def _conversation(svc: Services, tenant: str, message: Inbound) -> LoadedConversation:
    """The platform user's latest conversation on this channel (the turn's one read of it), or a
    new one."""
    store = ConversationStore(svc.db)
    found = store.latest(tenant=tenant, channel=message.channel, kb_name=message.kb, user_id=message.user_id)
    if found is not None:
        return found
    info = store.create(
        message.kb,
        tenant=tenant,
        channel=message.channel,
        user_id=message.user_id,
        user_profile=message.user_profile,
    )
    return LoadedConversation(info, ())


def _finish(
    svc: Services, message: Inbound, conversation_id: str | None, reply: dict[str, Any] | None
) -> None:
    with svc.db.session() as session:
        row = session.scalar(
            select(ChannelMessage).where(
                ChannelMessage.channel == message.channel,
                ChannelMessage.kb_name == message.kb,
                ChannelMessage.message_id == message.message_id,
            )
        )
        if row is None:
            return
        if reply is None:  # answering failed: forget the id so the platform's retry is answered
            session.delete(row)
        else:
            row.conversation_id, row.reply = conversation_id, reply


async def handle(svc: Services, message: Inbound) -> Outcome:
    from assistant.pipeline import AnswerRequest

    tenant, earlier = await run_in_threadpool(_claim, svc, message)
    if earlier is not None:
        return Outcome(reply=earlier.reply, duplicate=True)
    reply = None
    conversation_id = None
    try:
        conversation = await run_in_threadpool(_conversation, svc, tenant, message)
        conversation_id = conversation.info.id
        request = AnswerRequest(question=message.text, conversation_id=conversation_id)
        reply = result_out(await answer(svc, request, conversation)).model_dump(mode="json")
    finally:
        await run_in_threadpool(_finish, svc, message, conversation_id, reply)
    return Outcome(reply=reply, duplicate=False)
