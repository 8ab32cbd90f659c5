"""Agent replies reach channel users: a signed POST to the webhook's callback URL, a WeChat
customer-service message, each received by a real loopback HTTP server; retries are bounded, and a
push that cannot get through leaves the agent's reply standing and a visible, retryable failure."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_fixture import WEBHOOK_SECRET, WECHAT_TOKEN, ZH_QUESTION, Harness, api_settings, auth, free_port
from channel_support import Captured, receiving
from pydantic import ValidationError
from sqlalchemy import select

from api.channels.wechat import signature as wechat_signature
from api.channels.wechat_api import split_utf8
from api.channels.webhook import sign
from api.tickets import escalate_on_request
from assistant.models import Conversation

HOOK = "/hook"
SEND = "/cgi-bin/message/custom/send"
TOKEN = "/cgi-bin/token"


@pytest.fixture
def pushing(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    """No waiting between attempts (the number of attempts stays the default, 3)."""
    monkeypatch.setattr(harness.services.settings, "channel_push_backoff_s", 0.0)
    yield harness


def _ok(_: Captured) -> tuple[int, bytes]:
    return 200, b"{}"


def _webhook_ticket(harness: Harness) -> tuple[str, str, int]:
    """A webhook user asks a question, then asks for a person: (user id, session id, ticket id)."""
    user = f"wh-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"message_id": f"m-{user}", "user_id": user, "text": ZH_QUESTION}).encode()
    stamp = str(int(time.time()))
    answered = harness.client.post(
        "/v1/channels/webhook/shop",
        content=body,
        headers={"X-Kefu-Timestamp": stamp, "X-Kefu-Signature": sign(WEBHOOK_SECRET, stamp, body)},
    )
    assert answered.status_code == 200, answered.text
    session_id = answered.json()["session_id"]
    return user, session_id, escalate_on_request(harness.services, session_id, "wants a person").id


def _reply(harness: Harness, ticket_id: int, text: str) -> dict[str, Any]:
    response = harness.client.post(
        f"/v1/agent/tickets/{ticket_id}/reply", json={"text": text}, headers=auth(harness.acme["agent"])
    )
    assert response.status_code == 201, response.text
    return response.json()


def _outbox(harness: Harness, session_id: str, key: str | None = None) -> list[dict[str, Any]]:
    response = harness.client.get(
        "/v1/channels/outbox", params={"session_id": session_id}, headers=auth(key or harness.acme["agent"])
    )
    assert response.status_code == 200, response.text
    return response.json()


def _close(harness: Harness, ticket_id: int) -> None:
    resolved = harness.client.post(
        f"/v1/agent/tickets/{ticket_id}/resolve",
        json={"propose_faq": False},
        headers=auth(harness.acme["agent"]),
    )
    assert resolved.status_code == 200, resolved.text


def _verify_signed(request: Captured) -> dict[str, Any]:
    """What a receiver does: recompute the HMAC over "<timestamp>." + body with the shared secret."""
    stamp = request.headers["x-kefu-timestamp"]
    expected = (
        "sha256="
        + hmac.new(WEBHOOK_SECRET.encode(), stamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    )
    assert hmac.compare_digest(expected, request.headers["x-kefu-signature"])
    assert abs(time.time() - int(stamp)) < 300
    return request.json()


def test_agent_reply_is_pushed_signed_to_the_webhook_callback(
    pushing: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    with receiving(_ok) as receiver:
        monkeypatch.setitem(pushing.services.settings.webhook_callbacks, "shop", receiver.url + HOOK)
        user, session_id, ticket_id = _webhook_ticket(pushing)
        text = "您好，我是客服小李：退款已经提交，请留意。"
        message = _reply(pushing, ticket_id, text)
        [request] = receiver.posts(HOOK)
    payload = _verify_signed(request)
    assert payload == {
        **payload,
        "event": "agent_reply",
        "text": text,
        "user_id": user,
        "session_id": session_id,
        "message_id": message["id"],
    }
    [delivery] = _outbox(pushing, session_id)
    assert request.headers["x-kefu-delivery"] == str(delivery["id"]) == str(payload["delivery_id"])
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1 and delivery["last_error"] is None
    assert delivery["message_id"] == message["id"] and delivery["channel"] == "webhook"
    # Another tenant's agent sees nothing of it; a customer key may not look at all.
    assert _outbox(pushing, session_id, pushing.beta["agent"]) == []
    assert (
        pushing.client.get("/v1/channels/outbox", headers=auth(pushing.acme["customer"])).status_code == 403
    )
    assert (
        pushing.client.post(
            f"/v1/channels/outbox/{delivery['id']}/retry", headers=auth(pushing.beta["agent"])
        ).status_code
        == 404
    )
    again = pushing.client.post(
        f"/v1/channels/outbox/{delivery['id']}/retry", headers=auth(pushing.acme["agent"])
    )
    assert again.status_code == 409 and "delivered" in again.json()["detail"]
    _close(pushing, ticket_id)


def test_a_busy_receiver_is_retried(pushing: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([(503, b"busy"), (429, b"slow down"), (200, b"{}")])
    with receiving(lambda _: next(answers)) as receiver:
        monkeypatch.setitem(pushing.services.settings.webhook_callbacks, "shop", receiver.url + HOOK)
        _, session_id, ticket_id = _webhook_ticket(pushing)
        message = _reply(pushing, ticket_id, "Your refund was sent today.")
        requests = receiver.posts(HOOK)
    assert len(requests) == 3
    assert {_verify_signed(r)["message_id"] for r in requests} == {message["id"]}  # one message, re-signed
    [delivery] = _outbox(pushing, session_id)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    _close(pushing, ticket_id)


def test_a_refusing_receiver_is_not_retried(pushing: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    with receiving(lambda _: (400, b'{"error": "unknown user"}')) as receiver:
        monkeypatch.setitem(pushing.services.settings.webhook_callbacks, "shop", receiver.url + HOOK)
        _, session_id, ticket_id = _webhook_ticket(pushing)
        _reply(pushing, ticket_id, "Hello?")
        assert len(receiver.posts(HOOK)) == 1
    [delivery] = _outbox(pushing, session_id)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert "400" in delivery["last_error"] and "unknown user" in delivery["last_error"]
    _close(pushing, ticket_id)


def test_receiver_down_keeps_the_reply_and_records_a_retryable_failure(
    pushing: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there yet
    monkeypatch.setitem(pushing.services.settings.webhook_callbacks, "shop", f"http://127.0.0.1:{port}{HOOK}")
    user, session_id, ticket_id = _webhook_ticket(pushing)
    text = "We are checking your order now."
    message = _reply(pushing, ticket_id, text)  # 201: the agent's reply stands

    [delivery] = _outbox(pushing, session_id)
    assert delivery["status"] == "failed" and delivery["attempts"] == 3  # channel_push_attempts
    assert "ConnectError" in delivery["last_error"]
    failed = pushing.client.get(
        "/v1/channels/outbox", params={"status": "failed"}, headers=auth(pushing.acme["agent"])
    ).json()
    assert delivery["id"] in [d["id"] for d in failed]
    transcript = pushing.client.get(
        f"/v1/sessions/{session_id}/messages", headers=auth(pushing.acme["agent"])
    ).json()
    assert [m["content"] for m in transcript if m["role"] == "agent"] == [text]
    notes = [m["content"] for m in transcript if m["role"] == "system" and "not delivered" in m["content"]]
    assert len(notes) == 1 and "webhook" in notes[0]

    with receiving(_ok, port=port) as receiver:  # the receiver is back: the agent retries
        retried = pushing.client.post(
            f"/v1/channels/outbox/{delivery['id']}/retry", headers=auth(pushing.acme["agent"])
        )
        assert retried.status_code == 202, retried.text
        [request] = receiver.posts(HOOK)
    assert _verify_signed(request)["message_id"] == message["id"] and request.json()["user_id"] == user
    [after] = _outbox(pushing, session_id)
    assert after["status"] == "delivered" and after["delivered_at"] and after["last_error"] is None
    _close(pushing, ticket_id)


def test_no_callback_configured_is_a_visible_failure(pushing: Harness) -> None:
    assert "shop" not in pushing.services.settings.webhook_callbacks
    _, session_id, ticket_id = _webhook_ticket(pushing)
    _reply(pushing, ticket_id, "Hello from an agent.")
    [delivery] = _outbox(pushing, session_id)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1
    assert "KEFU_WEBHOOK_CALLBACKS" in delivery["last_error"]
    _close(pushing, ticket_id)


def test_web_sessions_have_nothing_to_push(pushing: Harness) -> None:
    customer = pushing.acme["customer"]
    session_id = pushing.session(customer)
    pushing.ask(customer, session_id)
    ticket_id = escalate_on_request(pushing.services, session_id, "wants a person").id
    _reply(pushing, ticket_id, "Hi, I am here.")
    assert _outbox(pushing, session_id) == []
    _close(pushing, ticket_id)


# -- WeChat ---------------------------------------------------------------------------------------


class FakeWeChat:
    """WeChat's token and customer-service endpoints on loopback. The first send is refused with
    42001 (token expired), as WeChat does when a token was revoked early."""

    def __init__(self, refuse_with: int | None = None) -> None:
        self.tokens = 0
        self.refuse_with = refuse_with

    def __call__(self, request: Captured) -> tuple[int, bytes]:
        if request.path == TOKEN:
            if request.query.get("appid") != "wx-shop" or request.query.get("secret") != "shop-secret":
                return 200, json.dumps({"errcode": 40125, "errmsg": "invalid appsecret"}).encode()
            self.tokens += 1
            return 200, json.dumps({"access_token": f"token-{self.tokens}", "expires_in": 7200}).encode()
        if request.path == SEND:
            if self.refuse_with is not None:
                return 200, json.dumps({"errcode": self.refuse_with, "errmsg": "refused"}).encode()
            if request.query.get("access_token") != "token-2":
                return 200, json.dumps({"errcode": 42001, "errmsg": "access_token expired"}).encode()
            return 200, json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
        return 404, b"{}"


def _wechat_ticket(harness: Harness) -> tuple[str, str, int]:
    user = f"oWx{uuid.uuid4().hex[:10]}"
    stamp, nonce = str(int(time.time())), uuid.uuid4().hex[:8]
    body = (
        f"<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{stamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{ZH_QUESTION}]]></Content><MsgId>8{uuid.uuid4().int % 10**12}</MsgId></xml>"
    ).encode()
    answered = harness.client.post(
        "/v1/channels/wechat/shop",
        content=body,
        params={
            "signature": wechat_signature(WECHAT_TOKEN, stamp, nonce),
            "timestamp": stamp,
            "nonce": nonce,
        },
    )
    assert answered.status_code == 200, answered.text
    with harness.services.db.session() as session:
        session_id = session.scalar(select(Conversation.id).where(Conversation.user_id == user))
    assert session_id
    return user, session_id, escalate_on_request(harness.services, session_id, "wants a person").id


@pytest.fixture
def wechat_api(pushing: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    monkeypatch.setitem(pushing.services.settings.wechat_app_ids, "shop", "wx-shop")
    monkeypatch.setitem(pushing.services.settings.wechat_app_secrets, "shop", "shop-secret")
    yield pushing


def test_agent_reply_reaches_the_wechat_user(wechat_api: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeWeChat()
    with receiving(fake) as receiver:
        monkeypatch.setattr(wechat_api.services.settings, "wechat_api_base", receiver.url)
        user, session_id, ticket_id = _wechat_ticket(wechat_api)
        text = "您好，退款已处理。" + "谢" * 800  # 2427 bytes of UTF-8: two customer-service messages
        _reply(wechat_api, ticket_id, text)
        sends = receiver.posts(SEND)
    # token-1 refused as expired -> attempt 2 fetches token-2 and sends both parts.
    assert fake.tokens == 2 and [s.query["access_token"] for s in sends] == ["token-1", "token-2", "token-2"]
    bodies = [s.json() for s in sends[1:]]
    assert all(b["touser"] == user and b["msgtype"] == "text" for b in bodies)
    assert "".join(b["text"]["content"] for b in bodies) == text
    assert all(len(b["text"]["content"].encode()) <= 2000 for b in bodies)
    assert "谢" in sends[1].body.decode()  # sent as UTF-8, not \\u escapes
    [delivery] = _outbox(wechat_api, session_id)
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2 and delivery["channel"] == "wechat"
    _close(wechat_api, ticket_id)


def test_wechat_refusal_outside_the_48_hour_window_is_final(
    wechat_api: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    with receiving(FakeWeChat(refuse_with=45015)) as receiver:
        monkeypatch.setattr(wechat_api.services.settings, "wechat_api_base", receiver.url)
        _, session_id, ticket_id = _wechat_ticket(wechat_api)
        _reply(wechat_api, ticket_id, "Sorry for the wait.")
        assert len(receiver.posts(SEND)) == 1
    [delivery] = _outbox(wechat_api, session_id)
    assert delivery["status"] == "failed" and delivery["attempts"] == 1 and "45015" in delivery["last_error"]
    _close(wechat_api, ticket_id)


def test_wechat_without_token_source_fails_visibly(pushing: Harness) -> None:
    _, session_id, ticket_id = _wechat_ticket(pushing)
    _reply(pushing, ticket_id, "Hello.")
    [delivery] = _outbox(pushing, session_id)
    assert delivery["status"] == "failed" and "KEFU_WECHAT_APP_SECRETS" in delivery["last_error"]
    _close(pushing, ticket_id)


def test_split_utf8_keeps_characters_whole() -> None:
    text = "退款" * 700 + "ok"
    parts = split_utf8(text, 2000)
    assert "".join(parts) == text and all(len(p.encode()) <= 2000 for p in parts) and len(parts) == 3
    assert split_utf8("", 10) == [] and split_utf8("abc", 10) == ["abc"]


@pytest.mark.parametrize("role", ["customer", "agent", "owner", "qa", "admin"])
def test_outbox_roles(harness: Harness, role: str) -> None:
    """The outbox is the agents' (the role matrix in test_auth skips /v1/channels/: adapters sign instead)."""
    listed = harness.client.get("/v1/channels/outbox", headers=auth(harness.acme[role]))
    retried = harness.client.post("/v1/channels/outbox/999999/retry", headers=auth(harness.acme[role]))
    if role in ("agent", "admin"):
        assert listed.status_code == 200 and retried.status_code == 404
    else:
        assert listed.status_code == retried.status_code == 403
    assert harness.client.get("/v1/channels/outbox").status_code == 401


def test_channel_settings_are_checked_at_start_up(tmp_path: Path) -> None:
    data = tmp_path / "data"
    good = api_settings(
        data,
        webhook_callbacks={"shop": "https://crm.example/kefu"},
        wechat_aes_keys={"shop": "k" * 43},
        wechat_app_ids={"shop": "wx1"},
        wechat_app_secrets={"shop": "s"},
    )
    assert good.webhook_callbacks["shop"] == "https://crm.example/kefu"
    refused = [
        ({"wechat_aes_keys": {"shop": "k" * 42}, "wechat_app_ids": {"shop": "wx1"}}, "43 characters"),
        ({"wechat_aes_keys": {"shop": "k" * 43}}, "KEFU_WECHAT_APP_IDS['shop']"),
        ({"wechat_app_secrets": {"shop": "s"}}, "KEFU_WECHAT_APP_IDS['shop']"),
        ({"webhook_callbacks": {"shop": "ftp://crm.example"}}, "http:// or https://"),
        ({"webhook_callbacks": {"beta-kb": "https://crm.example"}}, "KEFU_WEBHOOK_SECRETS['beta-kb']"),
    ]
    for overrides, message in refused:
        with pytest.raises(ValidationError, match=re.escape(message)):
            api_settings(data, **overrides)


def test_pushes_cut_off_by_a_stopped_server_are_sent_at_start_up(
    pushing: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from api.channels.models import ChannelDelivery
    from api.channels.outbound import resume
    from ingest.models import utcnow

    port = free_port()
    monkeypatch.setitem(pushing.services.settings.webhook_callbacks, "shop", f"http://127.0.0.1:{port}{HOOK}")
    _, old_session, old_ticket = _webhook_ticket(pushing)
    old_message = _reply(pushing, old_ticket, "Your refund is on its way.")
    _, new_session, new_ticket = _webhook_ticket(pushing)
    _reply(pushing, new_ticket, "Still checking.")
    [old], [new] = _outbox(pushing, old_session), _outbox(pushing, new_session)
    with pushing.services.db.session() as session:  # as a server killed mid-send leaves them
        session.execute(
            update(ChannelDelivery)
            .where(ChannelDelivery.id == old["id"])
            .values(status="sending", updated_at=utcnow() - timedelta(hours=1))
        )
        session.execute(
            update(ChannelDelivery)
            .where(ChannelDelivery.id == new["id"])
            .values(status="sending", updated_at=utcnow())
        )  # maybe another worker's

    with receiving(_ok, port=port) as receiver:
        assert resume(pushing.services) == [old["id"]]
        [request] = receiver.posts(HOOK)
    assert _verify_signed(request)["message_id"] == old_message["id"]
    assert _outbox(pushing, old_session)[0]["status"] == "delivered"
    assert _outbox(pushing, new_session)[0]["status"] == "sending"  # not taken from a live sender
    _close(pushing, old_ticket)
    _close(pushing, new_ticket)
