"""Channel adapters: the generic signed webhook and the WeChat Official Account callback."""

from __future__ import annotations

import json
import time
import uuid
import xml.etree.ElementTree as ET

from api_fixture import WEBHOOK_SECRET, WECHAT_TOKEN, ZH_QUESTION, Harness, conversation_reads
from channel_support import answers_stored

from api.channels.webhook import sign
from api.channels.wechat import signature
from assistant.models import Conversation


def _post_webhook(
    harness: Harness,
    payload: dict | bytes,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    kb: str = "shop",
):  # type: ignore[no-untyped-def]
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return harness.client.post(
        f"/v1/channels/webhook/{kb}",
        content=body,
        headers={
            "X-Kefu-Timestamp": stamp,
            "X-Kefu-Signature": sign(secret, stamp, body),
            "Content-Type": "application/json",
        },
    )


def test_signed_webhook_answers_once_per_message_id(harness: Harness) -> None:
    user = f"wh-{uuid.uuid4().hex[:8]}"
    payload = {"message_id": "m-1-" + user, "user_id": user, "text": ZH_QUESTION, "platform_field": 1}
    first = _post_webhook(harness, payload)
    assert first.status_code == 200, first.text
    reply = first.json()
    assert reply["duplicate"] is False and reply["text"] and reply["citations"]
    again = _post_webhook(harness, payload)  # the platform redelivers
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["text"] == reply["text"] and again.json()["session_id"] == reply["session_id"]
    assert answers_stored(harness, user) == 1
    replies = []  # a later message: its conversation is found and read once for the turn
    assert (
        conversation_reads(
            harness, lambda: replies.append(_post_webhook(harness, {**payload, "message_id": "m-2-" + user}))
        )
        == 1
    )
    second = replies[0]
    assert second.json()["session_id"] == reply["session_id"]  # same user, same conversation
    assert answers_stored(harness, user) == 2
    with harness.services.db.session() as session:
        conversation = session.get(Conversation, reply["session_id"])
        assert conversation.channel == "webhook" and conversation.tenant == "acme"


def test_webhook_rejects_bad_signatures_and_replays(harness: Harness) -> None:
    user = f"wh-{uuid.uuid4().hex[:8]}"
    payload = {"message_id": "bad-" + user, "user_id": user, "text": ZH_QUESTION}
    wrong_secret = _post_webhook(harness, payload, secret="guess")
    assert wrong_secret.status_code == 401 and wrong_secret.json()["detail"] == "bad signature"
    stale = _post_webhook(harness, payload, timestamp=int(time.time()) - 3600)
    assert stale.status_code == 401 and "timestamp" in stale.json()["detail"]
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    tampered = harness.client.post(
        "/v1/channels/webhook/shop",
        content=body.replace(b"bad-", b"evil-"),
        headers={"X-Kefu-Timestamp": stamp, "X-Kefu-Signature": sign(WEBHOOK_SECRET, stamp, body)},
    )
    assert tampered.status_code == 401
    unsigned = harness.client.post("/v1/channels/webhook/shop", content=body)
    assert unsigned.status_code == 401
    assert _post_webhook(harness, payload, kb="beta-kb").status_code == 404  # no secret configured
    malformed = _post_webhook(harness, b'{"message_id": 1')
    assert malformed.status_code == 422
    missing = _post_webhook(harness, {"message_id": "x", "user_id": user})
    assert missing.status_code == 422 and "text" in json.dumps(missing.json()["detail"])
    assert answers_stored(harness, user) == 0


def _wechat_query(token: str = WECHAT_TOKEN, timestamp: int | None = None) -> dict[str, str]:
    stamp, nonce = str(int(time.time()) if timestamp is None else timestamp), uuid.uuid4().hex[:10]
    return {"signature": signature(token, stamp, nonce), "timestamp": stamp, "nonce": nonce}


def test_wechat_server_verification(harness: Harness) -> None:
    good = harness.client.get("/v1/channels/wechat/shop", params={**_wechat_query(), "echostr": "12345"})
    assert good.status_code == 200 and good.text == "12345"
    bad = harness.client.get(
        "/v1/channels/wechat/shop", params={**_wechat_query(token="wrong"), "echostr": "1"}
    )
    assert bad.status_code == 401
    stale = harness.client.get(
        "/v1/channels/wechat/shop",
        params={**_wechat_query(timestamp=int(time.time()) - 3600), "echostr": "1"},
    )
    assert stale.status_code == 401
    assert harness.client.get("/v1/channels/wechat/beta-kb", params=_wechat_query()).status_code == 404


def _wechat_message(user: str, msg_id: str, content: str, kind: str = "text") -> bytes:
    return (
        f"<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def test_wechat_text_message_gets_an_xml_reply(harness: Harness) -> None:
    user = f"oWx{uuid.uuid4().hex[:10]}"
    body = _wechat_message(user, "6100000001" + user[-4:], ZH_QUESTION)
    response = harness.client.post("/v1/channels/wechat/shop", params=_wechat_query(), content=body)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    reply = {child.tag: child.text for child in ET.fromstring(response.text)}
    assert reply["ToUserName"] == user and reply["FromUserName"] == "gh_shop" and reply["MsgType"] == "text"
    assert reply["Content"] and "[1]" in reply["Content"]
    retried = harness.client.post("/v1/channels/wechat/shop", params=_wechat_query(), content=body)
    assert ET.fromstring(retried.text).find("Content").text == reply["Content"]
    assert answers_stored(harness, user) == 1


def test_wechat_rejects_unsafe_or_unsigned_requests(harness: Harness) -> None:
    user = f"oWx{uuid.uuid4().hex[:10]}"
    body = _wechat_message(user, "6100000002", ZH_QUESTION)
    assert (
        harness.client.post(
            "/v1/channels/wechat/shop", params=_wechat_query(token="x"), content=body
        ).status_code
        == 401
    )
    dtd = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + body
    assert (
        harness.client.post("/v1/channels/wechat/shop", params=_wechat_query(), content=dtd).status_code
        == 400
    )
    assert (
        harness.client.post(
            "/v1/channels/wechat/shop", params=_wechat_query(), content=b"<xml><broken"
        ).status_code
        == 400
    )
    encrypted = harness.client.post(
        "/v1/channels/wechat/shop", params={**_wechat_query(), "encrypt_type": "aes"}, content=body
    )
    assert (
        encrypted.status_code == 400 and "KEFU_WECHAT_AES_KEYS" in encrypted.json()["detail"]
    )  # no key for shop
    event = harness.client.post(
        "/v1/channels/wechat/shop",
        params=_wechat_query(),
        content=_wechat_message(user, "", "", kind="event"),
    )
    assert event.text == "success"
    image = harness.client.post(
        "/v1/channels/wechat/shop",
        params=_wechat_query(),
        content=_wechat_message(user, "6100000003", "", kind="image"),
    )
    assert "text messages" in ET.fromstring(image.text).find("Content").text
    assert answers_stored(harness, user) == 0
