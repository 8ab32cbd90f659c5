"""WeChat Official Account (公众号) / WeCom (企业微信) message callback, plaintext or safe mode.

    GET  /v1/channels/wechat/{kb}?signature=&timestamp=&nonce=&echostr=         URL check (plaintext echostr)
    GET  /v1/channels/wechat/{kb}?msg_signature=&timestamp=&nonce=&echostr=     URL check, encrypted echostr
    POST /v1/channels/wechat/{kb}?signature=&timestamp=&nonce=                   XML message -> XML reply
    POST /v1/channels/wechat/{kb}?encrypt_type=aes&msg_signature=&timestamp=&nonce=[&signature=]
         <xml><Encrypt>...</Encrypt></xml> -> <xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>

Plaintext: signature = sha1 of the sorted, concatenated [token, timestamp, nonce], token from
KEFU_WECHAT_TOKENS[kb]. Safe mode (KEFU_WECHAT_AES_KEYS[kb] and KEFU_WECHAT_APP_IDS[kb] set): the
message is authenticated by msg_signature, which also covers the ciphertext, decrypted with the
EncodingAESKey and must name this account's AppID/CorpID (api.channels.wxcrypt); the reply is
encrypted the same way. With a key set, plaintext messages are refused: the plaintext signature does
not cover the body. Timestamps outside the tolerance are refused (replays). MsgId makes a retried
delivery get the same reply. Agent replies reach the user as customer-service messages
(api.channels.wechat_api).
"""

from __future__ import annotations

import hashlib
import time
import xml.etree.ElementTree as ET
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import PlainTextResponse, Response

from api.channels.inbound import Inbound, check_timestamp, handle, same
from api.channels.outbound import register_pusher
from api.channels.wechat_api import push
from api.chat_limits import check_message
from api.channels.wxcrypt import BadCiphertext, BadSignature, WrongReceiver, WXBizMsgCrypt
from api.deps import services
from api.schemas import Key
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


def _crypt(svc: Services, kb: str) -> WXBizMsgCrypt:
    token = svc.settings.wechat_tokens.get(kb)
    if not token:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no WeChat channel is configured for {kb!r}")
    key = svc.settings.wechat_aes_keys.get(kb)
    if not key:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            f"encrypted mode is not configured for {kb!r} (KEFU_WECHAT_AES_KEYS): use plaintext mode",
        )
    # Settings refuses an AES key without its AppID at start-up; WXBizMsgCrypt raises if one slipped by.
    return WXBizMsgCrypt(token, key, svc.settings.wechat_app_ids.get(kb, ""))


def _open(crypt: WXBizMsgCrypt, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """Verified and decrypted, or the 4xx that says why not."""
    try:
        return crypt.open(msg_signature, timestamp, nonce, encrypted)
    except BadSignature as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(exc)) from exc
    except WrongReceiver as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from exc
    except BadCiphertext as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc


@router.get("/{kb}", response_class=PlainTextResponse)
def verify(
    kb: Key,
    svc: Annotated[Services, Depends(services)],
    sig: Sig = "",
    timestamp: str = "",
    nonce: str = "",
    echostr: str = "",
    msg_signature: str = "",
) -> str:
    """The platform's URL check: echo `echostr` (decrypted first when it comes with msg_signature)."""
    if msg_signature:
        crypt = _crypt(svc, kb)
        check_timestamp(timestamp, svc.settings.webhook_tolerance_s)
        return _open(crypt, msg_signature, timestamp, nonce, echostr)
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


def _decrypted(
    svc: Services, kb: str, body: bytes, sig: str, timestamp: str, nonce: str, msg_signature: str
) -> tuple[dict[str, str], WXBizMsgCrypt]:
    crypt = _crypt(svc, kb)
    check_timestamp(timestamp, svc.settings.webhook_tolerance_s)
    # Official Accounts send the plaintext signature too (WeCom does not): when given it must match.
    if sig and not same(signature(crypt.token, timestamp, nonce), sig):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad signature")
    encrypted = _parse(body).get("Encrypt", "").strip()
    if not encrypted:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, "encrypted mode: the request has no <Encrypt> element"
        )
    return _parse(_open(crypt, msg_signature, timestamp, nonce, encrypted).encode()), crypt


def _xml(crypt: WXBizMsgCrypt | None, document: str) -> Response:
    return Response(document if crypt is None else crypt.seal(document), media_type="application/xml")


@router.post("/{kb}")
async def receive(
    kb: Key,
    request: Request,
    svc: Annotated[Services, Depends(services)],
    sig: Sig = "",
    timestamp: str = "",
    nonce: str = "",
    encrypt_type: str = "",
    msg_signature: str = "",
) -> Response:
    body = await request.body()
    crypt: WXBizMsgCrypt | None = None
    if encrypt_type == "aes" or msg_signature:
        fields, crypt = _decrypted(svc, kb, body, sig, timestamp, nonce, msg_signature)
    elif encrypt_type not in ("", "raw"):
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, f"unknown encrypt_type {encrypt_type!r}: use raw or aes"
        )
    else:
        _verify(svc, kb, sig, timestamp, nonce)
        if svc.settings.wechat_aes_keys.get(kb):
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST,
                f"the WeChat channel of {kb!r} is in safe (encrypted) mode: plaintext messages are refused",
            )
        fields = _parse(body)
    user, account, kind = (
        fields.get("FromUserName", ""),
        fields.get("ToUserName", ""),
        fields.get("MsgType", ""),
    )
    if not user or not account:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "FromUserName and ToUserName are required")
    if kind == "event":  # subscribe, menu clicks...: WeChat expects "success" when there is nothing to say
        return PlainTextResponse("success")
    if kind != "text" or not fields.get("Content", "").strip():
        return _xml(crypt, text_reply(user, account, NOT_TEXT))
    check_message(svc.settings, fields["Content"])
    message_id = fields.get("MsgId") or f"{user}:{fields.get('CreateTime', '')}"
    outcome = await handle(
        svc,
        Inbound(
            channel=NAME,
            kb=kb,
            message_id=message_id,
            user_id=user,
            text=fields["Content"],
            user_profile={"wechat_account": account},
        ),
    )
    # Still being answered (WeChat retries after 5 s) or an agent holds the session: say nothing.
    if outcome.reply is None or not outcome.reply["text"]:
        return PlainTextResponse("success")
    return _xml(crypt, text_reply(user, account, _with_citations(outcome.reply)))


register_pusher(NAME, push)
