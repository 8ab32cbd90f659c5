"""WeChat Official Account (公众号) message callback, plaintext mode.

    GET  /v1/channels/wechat/{kb}?signature=&timestamp=&nonce=&echostr=   server verification
    POST /v1/channels/wechat/{kb}?signature=&timestamp=&nonce=            XML message -> XML reply

signature = sha1 of the sorted, concatenated [token, timestamp, nonce], token from
KEFU_WECHAT_TOKENS[kb]. Timestamps outside the tolerance are refused (replays). MsgId makes a
retried delivery get the same reply. The safe (AES-encrypted) mode is not implemented: requests
with encrypt_type=aes get 501.
"""

from __future__ import annotations

import hashlib
import time
import xml.etree.ElementTree as ET
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import PlainTextResponse, Response

from api.channels import register
from api.channels.inbound import Inbound, check_timestamp, handle, same
from api.deps import services
from api.services import Services

NAME = "wechat"
router = APIRouter(tags=["channels"])

NOT_TEXT = "抱歉，我目前只能阅读文字消息。(Sorry, I can only read text messages.)"
# WeChat shows at most 2048 bytes of a text reply.
MAX_REPLY_BYTES = 2000


def signature(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def _verify(svc: Services, kb: str, sig: str, timestamp: str, nonce: str) -> None:
    token = svc.settings.wechat_tokens.get(kb)
    if not token:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no WeChat channel is configured for {kb!r}")
    check_timestamp(timestamp, svc.settings.webhook_tolerance_s)
    if not same(signature(token, timestamp, nonce), sig):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad signature")


Sig = Annotated[str, Query(alias="signature")]


@router.get("/{kb}", response_class=PlainTextResponse)
def verify(
    kb: str, svc: Annotated[Services, Depends(services)], sig: Sig = "", timestamp: str = "", nonce: str = "",
    echostr: str = "",
) -> str:
    _verify(svc, kb, sig, timestamp, nonce)
    return echostr


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str) -> str:
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName><FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{_cdata('text')}</MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )


def _parse(body: bytes) -> dict[str, str]:
    # No DTDs at all: a WeChat message never has one, and entity tricks need one.
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "XML with a DTD is not accepted")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"malformed XML: {exc}") from exc
    return {child.tag: (child.text or "") for child in root}


def _with_citations(reply: dict[str, Any]) -> str:
    lines = [reply["text"]]
    for c in reply["citations"]:
        lines.append(f"[{c['n']}] {c['title'] or c['source']}" + (f" {c['url']}" if c.get("url") else ""))
    text = "\n".join(lines)
    while len(text.encode()) > MAX_REPLY_BYTES:
        text = text[: int(len(text) * 0.9)]
    return text


@router.post("/{kb}")
async def receive(
    kb: str, request: Request, svc: Annotated[Services, Depends(services)], sig: Sig = "", timestamp: str = "",
    nonce: str = "", encrypt_type: str = "raw",
) -> Response:
    _verify(svc, kb, sig, timestamp, nonce)
    if encrypt_type not in ("", "raw"):
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, "encrypted mode is not supported; use plaintext mode")
    fields = _parse(await request.body())
    user, account, kind = fields.get("FromUserName", ""), fields.get("ToUserName", ""), fields.get("MsgType", "")
    if not user or not account:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "FromUserName and ToUserName are required")
    if kind == "event":  # subscribe, menu clicks...: WeChat expects "success" when there is nothing to say
        return PlainTextResponse("success")
    if kind != "text" or not fields.get("Content", "").strip():
        return Response(text_reply(user, account, NOT_TEXT), media_type="application/xml")
    message_id = fields.get("MsgId") or f"{user}:{fields.get('CreateTime', '')}"
    outcome = await handle(
        svc,
        Inbound(channel=NAME, kb=kb, message_id=message_id, user_id=user, text=fields["Content"],
                user_profile={"wechat_account": account}),
    )
    # Still being answered (WeChat retries after 5 s) or an agent holds the session: say nothing.
    if outcome.reply is None or not outcome.reply["text"]:
        return PlainTextResponse("success")
    return Response(text_reply(user, account, _with_citations(outcome.reply)), media_type="application/xml")


register(NAME, router)
