"""Generic inbound webhook: any system can post a customer's message and get the answer back.

    POST /v1/channels/webhook/{kb}
    X-Kefu-Timestamp: <unix seconds>
    X-Kefu-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + raw body, keyed by the secret>
    {"message_id": "...", "user_id": "...", "text": "...", "user_profile": {...}}

The secret is KEFU_WEBHOOK_SECRETS[kb]. The timestamp is inside the signed bytes, so an old
request cannot be replayed with a fresh timestamp; a message id already answered gets the same
reply again (flagged "duplicate") rather than a second answer.

Agent replies to an escalated conversation go back the same way, to KEFU_WEBHOOK_CALLBACKS[kb]:

    POST <callback URL>
    X-Kefu-Timestamp, X-Kefu-Signature   as above, same secret (signed afresh on every attempt)
    X-Kefu-Delivery: <outbox id>
    {"event": "agent_reply", "delivery_id": 7, "message_id": "...", "session_id": "...",
     "user_id": "...", "text": "...", "created_at": "..."}

Any 2xx is delivered. Retried on network errors, 5xx, 408, 409, 425 and 429; other answers
(4xx, redirects: they are not followed) fail at once. A receiver should dedupe on message_id.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from pydantic import ValidationError

from api.channels.inbound import Inbound, check_timestamp, handle, hmac_sha256, same
from api.channels.outbound import Push, PushError, register_pusher
from api.chat_limits import check_message
from ingest.config import Settings
from api.deps import services
from api.schemas import Key, WebhookIn, WebhookOut
from api.services import Services

NAME = "webhook"
router = APIRouter(tags=["channels"])


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Kefu-Signature value for a request (senders use the same computation)."""
    return "sha256=" + hmac_sha256(secret, timestamp.encode() + b"." + body)


@router.post("/{kb}", response_model=WebhookOut)
async def receive(
    kb: Key,
    request: Request,
    svc: Annotated[Services, Depends(services)],
    x_kefu_timestamp: Annotated[str, Header()] = "",
    x_kefu_signature: Annotated[str, Header()] = "",
) -> WebhookOut:
    secret = svc.settings.webhook_secrets.get(kb)
    if not secret:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no webhook channel is configured for {kb!r}")
    body = await request.body()
    check_timestamp(x_kefu_timestamp, svc.settings.webhook_tolerance_s)
    if not same(sign(secret, x_kefu_timestamp, body), x_kefu_signature):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad signature")
    try:
        payload = WebhookIn.model_validate_json(body)
    except ValidationError as exc:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            exc.errors(include_url=False, include_context=False, include_input=False),
        ) from exc
    check_message(svc.settings, payload.text)
    outcome = await handle(
        svc,
        Inbound(
            channel=NAME,
            kb=kb,
            message_id=payload.message_id,
            user_id=payload.user_id,
            text=payload.text,
            user_profile=payload.user_profile,
        ),
    )
    if outcome.reply is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            "this message id is still being answered; retry shortly",
            headers={"Retry-After": "2"},
        )
    reply = outcome.reply
    return WebhookOut(
        message_id=payload.message_id,
        session_id=reply["session_id"],
        text=reply["text"],
        mode=reply["mode"],
        citations=reply["citations"],
        duplicate=outcome.duplicate,
    )


RETRYABLE = frozenset({408, 409, 425, 429})


def push(settings: Settings, item: Push, state: dict[str, Any]) -> None:
    """POST an agent reply to the knowledge base's callback URL, signed like inbound requests."""
    url = settings.webhook_callbacks.get(item.kb)
    if not url:
        raise PushError(
            f"no callback URL is configured for {item.kb!r} (KEFU_WEBHOOK_CALLBACKS)", permanent=True
        )
    secret = settings.webhook_secrets.get(item.kb)
    if not secret:
        raise PushError(
            f"no webhook secret is configured for {item.kb!r} (KEFU_WEBHOOK_SECRETS)", permanent=True
        )
    body = json.dumps(
        {
            "event": "agent_reply",
            "delivery_id": item.delivery_id,
            "message_id": item.message_id,
            "session_id": item.conversation_id,
            "user_id": item.user_id,
            "text": item.text,
            "created_at": item.created_at.isoformat(),
        },
        ensure_ascii=False,
    ).encode()
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "X-Kefu-Timestamp": stamp,
        "X-Kefu-Signature": sign(secret, stamp, body),
        "X-Kefu-Delivery": str(item.delivery_id),
    }
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=settings.channel_push_timeout_s)
    except httpx.HTTPError as exc:
        raise PushError(f"POST {url} failed: {type(exc).__name__}: {exc}") from exc
    if response.is_success:
        return
    code = response.status_code
    permanent = code < 500 and code not in RETRYABLE
    raise PushError(f"POST {url} answered {code}: {response.text[:300]}", permanent=permanent)


register_pusher(NAME, push)
