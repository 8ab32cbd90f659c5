"""Generic inbound webhook: any system can post a customer's message and get the answer back.

    POST /v1/channels/webhook/{kb}
    X-Kefu-Timestamp: <unix seconds>
    X-Kefu-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + raw body, keyed by the secret>
    {"message_id": "...", "user_id": "...", "text": "...", "user_profile": {...}}

The secret is KEFU_WEBHOOK_SECRETS[kb]. The timestamp is inside the signed bytes, so an old
request cannot be replayed with a fresh timestamp; a message id already answered gets the same
reply again (flagged "duplicate") rather than a second answer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, status
from pydantic import ValidationError

from api.channels import register
from api.channels.inbound import Inbound, check_timestamp, handle, hmac_sha256, same
from api.deps import services
from api.schemas import WebhookIn, WebhookOut
from api.services import Services

NAME = "webhook"
router = APIRouter(tags=["channels"])


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Kefu-Signature value for a request (senders use the same computation)."""
    return "sha256=" + hmac_sha256(secret, timestamp.encode() + b"." + body)


@router.post("/{kb}", response_model=WebhookOut)
async def receive(
    kb: str,
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
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, exc.errors(include_url=False, include_context=False, include_input=False)) from exc
    outcome = await handle(
        svc,
        Inbound(channel=NAME, kb=kb, message_id=payload.message_id, user_id=payload.user_id, text=payload.text,
                user_profile=payload.user_profile),
    )
    if outcome.reply is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT, "this message id is still being answered; retry shortly",
            headers={"Retry-After": "2"},
        )
    reply = outcome.reply
    return WebhookOut(
        message_id=payload.message_id, session_id=reply["session_id"], text=reply["text"], mode=reply["mode"],
        citations=reply["citations"], duplicate=outcome.duplicate,
    )


register(NAME, router)
