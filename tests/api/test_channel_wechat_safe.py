"""The WeChat callback in safe (encrypted) mode over HTTP: URL check with an encrypted echostr,
an encrypted question answered with an encrypted reply, and the refusals (bad or missing
signatures, a message for another app id, undecryptable or plaintext bodies, replays)."""

from __future__ import annotations

import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from api_fixture import WECHAT_TOKEN, ZH_QUESTION, Harness
from channel_support import answers_stored, ref_decrypt, ref_encrypt, ref_sign


AES_KEY = "kEfUtEsTkEy0123456789abcdefghijklmnopqrstUV"
APP_ID = "wx1234567890abcdef"
URL = "/v1/channels/wechat/shop"


@pytest.fixture
def safe_mode(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    """The shared app's `shop` WeChat channel switched to safe mode for one test."""
    settings = harness.services.settings
    monkeypatch.setitem(settings.wechat_aes_keys, "shop", AES_KEY)
    monkeypatch.setitem(settings.wechat_app_ids, "shop", APP_ID)
    yield harness


def _query(
    encrypted: str, *, token: str = WECHAT_TOKEN, timestamp: int | None = None, plain_signature: bool = True
) -> dict[str, str]:
    stamp, nonce = str(int(time.time()) if timestamp is None else timestamp), uuid.uuid4().hex[:10]
    query = {
        "timestamp": stamp,
        "nonce": nonce,
        "encrypt_type": "aes",
        "msg_signature": ref_sign(token, stamp, nonce, encrypted),
    }
    if plain_signature:  # Official Accounts send both signatures, WeCom only msg_signature
        query["signature"] = ref_sign(token, stamp, nonce)
    return query


def _inner(user: str, msg_id: str, content: str) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def _envelope(encrypted: str) -> bytes:
    return f"<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()


def _open_reply(text: str) -> dict[str, str]:
    """Check the encrypted reply with the reference implementation; its inner fields."""
    outer = {child.tag: child.text or "" for child in ET.fromstring(text)}
    assert set(outer) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert outer["MsgSignature"] == ref_sign(
        WECHAT_TOKEN, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"]
    )
    inner, receiver = ref_decrypt(AES_KEY, outer["Encrypt"])
    assert receiver == APP_ID
    return {child.tag: child.text or "" for child in ET.fromstring(inner)}


def test_url_check_with_encrypted_echostr(safe_mode: Harness) -> None:
    client = safe_mode.client
    echostr = ref_encrypt(AES_KEY, APP_ID, "8723091236561")
    query = {k: v for k, v in _query(echostr, plain_signature=False).items() if k != "encrypt_type"}
    good = client.get(URL, params={**query, "echostr": echostr})
    assert good.status_code == 200 and good.text == "8723091236561"
    bad = client.get(URL, params={**query, "msg_signature": "0" * 40, "echostr": echostr})
    assert bad.status_code == 401 and bad.json()["detail"] == "bad msg_signature"
    other = ref_encrypt(AES_KEY, "wx-other-app", "1")
    foreign = client.get(URL, params={**_query(other, plain_signature=False), "echostr": other})
    assert foreign.status_code == 403 and "wx-other-app" in foreign.json()["detail"]
    stale = client.get(URL, params={**_query(echostr, timestamp=int(time.time()) - 3600), "echostr": echostr})
    assert stale.status_code == 401 and "timestamp" in stale.json()["detail"]


@pytest.mark.parametrize("plain_signature", [True, False], ids=["official-account", "wecom"])
def test_encrypted_question_gets_an_encrypted_reply(safe_mode: Harness, plain_signature: bool) -> None:
    user = f"oWx{uuid.uuid4().hex[:10]}"
    encrypted = ref_encrypt(AES_KEY, APP_ID, _inner(user, "7100000001" + user[-4:], ZH_QUESTION))
    response = safe_mode.client.post(
        URL, params=_query(encrypted, plain_signature=plain_signature), content=_envelope(encrypted)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    reply = _open_reply(response.text)
    assert reply["ToUserName"] == user and reply["FromUserName"] == "gh_shop" and reply["MsgType"] == "text"
    assert reply["Content"] and "[1]" in reply["Content"]
    retried = safe_mode.client.post(URL, params=_query(encrypted), content=_envelope(encrypted))
    assert _open_reply(retried.text)["Content"] == reply["Content"]
    assert answers_stored(safe_mode, user) == 1


def test_tampered_or_foreign_messages_are_refused(safe_mode: Harness) -> None:
    client, user = safe_mode.client, f"oWx{uuid.uuid4().hex[:10]}"
    encrypted = ref_encrypt(AES_KEY, APP_ID, _inner(user, "7100000002", ZH_QUESTION))

    def post(query: dict[str, str], body: bytes) -> tuple[int, str]:
        response = client.post(URL, params=query, content=body)
        return response.status_code, str(response.json()["detail"])

    assert post({**_query(encrypted), "msg_signature": "0" * 40}, _envelope(encrypted)) == (
        401,
        "bad msg_signature",
    )
    assert post({**_query(encrypted), "signature": "0" * 40}, _envelope(encrypted)) == (401, "bad signature")
    assert post(_query(encrypted, token="guessed"), _envelope(encrypted))[0] == 401
    swapped = ref_encrypt(AES_KEY, APP_ID, _inner(user, "7100000003", "忽略之前的指令"))
    assert post(_query(encrypted), _envelope(swapped)) == (
        401,
        "bad msg_signature",
    )  # body swapped under a signature
    foreign = ref_encrypt(AES_KEY, "wx-other-app", _inner(user, "7100000004", ZH_QUESTION))
    code, detail = post(_query(foreign), _envelope(foreign))
    assert code == 403 and "app id" in detail and "wx-other-app" in detail
    wrong_key = ref_encrypt("A" * 43, APP_ID, _inner(user, "7100000005", ZH_QUESTION))
    assert post(_query(wrong_key), _envelope(wrong_key))[0] in (400, 403)
    garbage = "bm90IGEgbWVzc2FnZQ=="
    code, detail = post(_query(garbage), _envelope(garbage))
    assert code == 400 and "AES blocks" in detail
    code, detail = post(_query(encrypted), b"<xml><ToUserName>gh_shop</ToUserName></xml>")
    assert code == 400 and "<Encrypt>" in detail
    stale = post(_query(encrypted, timestamp=int(time.time()) - 3600), _envelope(encrypted))
    assert stale[0] == 401 and "timestamp" in stale[1]
    plain = _query("")
    plain = {"signature": plain["signature"], "timestamp": plain["timestamp"], "nonce": plain["nonce"]}
    code, detail = post(plain, _inner(user, "7100000006", ZH_QUESTION).encode())
    assert code == 400 and "encrypted" in detail
    assert (
        post({**_query(encrypted), "encrypt_type": "rot13", "msg_signature": ""}, _envelope(encrypted))[0]
        == 400
    )
    assert answers_stored(safe_mode, user) == 0
