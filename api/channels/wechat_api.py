"""Pushing agent replies to WeChat users: the Official Account "customer service message" API.

    GET  {api_base}/cgi-bin/token?grant_type=client_credential&appid=&secret=   (or a token service)
    POST {api_base}/cgi-bin/message/custom/send?access_token=...
         {"touser": "<openid>", "msgtype": "text", "text": {"content": "..."}}

The API base is configurable (KEFU_WECHAT_API_BASE) so a test can stand a loopback server in for
WeChat, and so can a proxy in production. WeChat only accepts these messages within 48 hours of
the user's last message; such refusals are permanent failures, recorded on the outbox row.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from api.channels.outbound import Push, PushError
from ingest.config import Settings

MAX_TEXT_BYTES = 2000  # a text message shows at most 2048 bytes: longer replies go out in parts
TOKEN_MARGIN_S = 300  # refresh a token this long before WeChat says it expires
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid / expired access token: fetch a new one
# Trying again cannot help: bad openid, out of the 48-hour window, user unsubscribed, API not granted.
PERMANENT_ERRORS = frozenset({40003, 43004, 45015, 48001})


def split_utf8(text: str, limit: int = MAX_TEXT_BYTES) -> list[str]:
    """`text` in parts of at most `limit` UTF-8 bytes, never cutting a character."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = len(char.encode())
        if size + width > limit and current:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        parts.append("".join(current))
    return parts


def _api_base(settings: Settings) -> str:
    return settings.wechat_api_base.rstrip("/")


class TokenCache:
    """Access tokens per token source, reused until shortly before they expire (WeChat limits how
    often a token may be fetched, and a new one revokes the old one)."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def source(settings: Settings, kb: str) -> tuple[str, str]:
        """(URL to fetch a token from, how to name it in errors: never with the secret in it)."""
        if kb in settings.wechat_token_urls:
            url = settings.wechat_token_urls[kb]
            return url, url.split("?", 1)[0]
        app_id, secret = settings.wechat_app_ids.get(kb), settings.wechat_app_secrets.get(kb)
        if app_id and secret:
            endpoint = f"{_api_base(settings)}/cgi-bin/token"
            query = urlencode({"grant_type": "client_credential", "appid": app_id, "secret": secret})
            return f"{endpoint}?{query}", endpoint
        raise PushError(
            f"no WeChat access-token source for {kb!r}: set KEFU_WECHAT_APP_IDS and KEFU_WECHAT_APP_SECRETS, "
            "or KEFU_WECHAT_TOKEN_URLS",
            permanent=True,
        )

    def get(self, client: httpx.Client, settings: Settings, kb: str) -> str:
        url, shown = self.source(settings, kb)
        with self._lock:
            cached = self._tokens.get(url)
            if cached is not None and cached[1] > time.monotonic():
                return cached[0]
        try:
            response = client.get(url)
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise PushError(f"access token from {shown}: {type(exc).__name__}: {exc}") from exc
        token = data.get("access_token") if isinstance(data, dict) else None
        if response.status_code != 200 or not isinstance(token, str) or not token:
            raise PushError(f"access token from {shown}: HTTP {response.status_code} {str(data)[:300]}")
        expires_in = data.get("expires_in", 7200)
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 7200.0
        with self._lock:
            self._tokens[url] = (token, time.monotonic() + max(lifetime - TOKEN_MARGIN_S, 0.0))
        return token

    def drop(self, settings: Settings, kb: str) -> None:
        url, _ = self.source(settings, kb)
        with self._lock:
            self._tokens.pop(url, None)


TOKENS = TokenCache()


def _send(client: httpx.Client, settings: Settings, kb: str, user: str, text: str) -> None:
    token = TOKENS.get(client, settings, kb)
    endpoint = f"{_api_base(settings)}/cgi-bin/message/custom/send"
    # ensure_ascii=False: WeChat has shown \uXXXX escapes literally rather than decoding them.
    body = json.dumps({"touser": user, "msgtype": "text", "text": {"content": text}}, ensure_ascii=False)
    try:
        response = client.post(
            endpoint,
            params={"access_token": token},
            content=body.encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise PushError(f"POST {endpoint}: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200 or not isinstance(data, dict):
        raise PushError(f"POST {endpoint}: HTTP {response.status_code} {str(data)[:300]}")
    code = data.get("errcode", 0)
    if code == 0:
        return
    if code in TOKEN_ERRORS:
        TOKENS.drop(settings, kb)  # the next attempt fetches a fresh token
    raise PushError(
        f"WeChat refused the message: errcode {code} {data.get('errmsg', '')}",
        permanent=code in PERMANENT_ERRORS,
    )


def push(settings: Settings, item: Push, state: dict[str, Any]) -> None:
    """Send an agent reply as customer-service text message(s); parts already sent in an earlier
    attempt of this delivery are not sent again."""
    if not item.user_id:
        raise PushError("the conversation has no WeChat user (openid) to send to", permanent=True)
    parts = split_utf8(item.text)
    with httpx.Client(timeout=settings.channel_push_timeout_s) as client:
        for index in range(int(state.get("parts_sent", 0)), len(parts)):
            _send(client, settings, item.kb, item.user_id, parts[index])
            state["parts_sent"] = index + 1
