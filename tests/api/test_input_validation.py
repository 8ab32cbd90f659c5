"""Hostile input is a 4xx, never a 500, and is refused before anything is written: ids past the
database's integer range, NUL characters, lone surrogates, non-string content parts. Checked on
SQLite (the shared harness) and on PostgreSQL, whose INTEGER is 32-bit and whose text refuses NUL."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from api_fixture import WEBHOOK_SECRET, Harness, api_settings, auth, make_keys
from fastapi import HTTPException
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.channels.inbound import check_timestamp
from api.channels.webhook import sign
from assistant.models import Conversation

BIG = 2**63  # past SQLite's INTEGER
PG_BIG = 2**31  # past PostgreSQL's INTEGER
LONE = '"\\ud800 warranty"'  # a JSON string holding a lone surrogate (json.dumps cannot write one)


def _raw(body: str) -> dict[str, Any]:
    return {"content": body.encode(), "headers": {"Content-Type": "application/json"}}


def _webhook(payload: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    return {
        "content": body,
        "headers": {
            "X-Kefu-Timestamp": stamp,
            "X-Kefu-Signature": sign(WEBHOOK_SECRET, stamp, body),
            "Content-Type": "application/json",
        },
    }


def bad_requests(session_id: str) -> list[tuple[str, str, str, dict[str, Any], int]]:
    """(role, method, url, request kwargs, expected status)."""
    cases: list[tuple[str, str, str, dict[str, Any], int]] = []
    for big in (BIG, PG_BIG, 0, -1):
        cases += [
            ("agent", "GET", f"/v1/agent/tickets/{big}", {}, 422),
            ("agent", "POST", f"/v1/agent/tickets/{big}/claim", {}, 422),
            ("agent", "POST", f"/v1/agent/tickets/{big}/reply", {"json": {"text": "hello"}}, 422),
            ("agent", "POST", f"/v1/agent/tickets/{big}/resolve", {"json": {}}, 422),
            ("agent", "POST", f"/v1/channels/outbox/{big}/retry", {}, 422),
            ("owner", "POST", f"/v1/kbs/shop/faq-candidates/{big}/accept", {"json": {}}, 422),
            ("owner", "POST", f"/v1/kbs/shop/faq-candidates/{big}/reject", {"json": {}}, 422),
        ]
    cases += [
        ("customer", "GET", f"/v1/sessions/{session_id}/messages?after={BIG}", {}, 422),
        ("customer", "GET", f"/v1/sessions/{session_id}/messages?after={PG_BIG}", {}, 422),
        # Lone surrogates and NUL in what is stored: messages, user ids, profiles, FAQ entries.
        ("customer", "POST", f"/v1/sessions/{session_id}/messages", _raw('{"text": ' + LONE + "}"), 422),
        (
            "customer",
            "POST",
            f"/v1/sessions/{session_id}/messages",
            {"json": {"text": "refund\x00 please"}},
            422,
        ),
        ("customer", "POST", "/v1/sessions", {"json": {"kb": "shop", "user_id": "u\x001"}}, 422),
        (
            "customer",
            "POST",
            "/v1/sessions",
            {"json": {"kb": "shop", "user_profile": {"name": "a\x00b"}}},
            422,
        ),
        (
            "customer",
            "POST",
            "/v1/sessions",
            _raw('{"kb": "shop", "user_profile": {"name": ' + LONE + "}}"),
            422,
        ),
        ("customer", "POST", "/v1/sessions", {"json": {"kb": "sh\x00op"}}, 422),
        ("owner", "POST", "/v1/kbs/shop/faqs", {"json": {"question": "why\x00?", "answer": "because"}}, 422),
        ("owner", "POST", "/v1/kbs/shop/faqs", {"json": {"question": "why?", "answer": "be\x00cause"}}, 422),
        (
            "owner",
            "POST",
            "/v1/kbs/shop/faqs",
            {"json": {"question": "why?", "answer": "ok", "similar_questions": ["wh\x00y"]}},
            422,
        ),
        # NUL in path and query parameters.
        ("customer", "GET", "/v1/sessions/abc%00def", {}, 422),
        ("customer", "GET", "/v1/sessions/abc%00def/messages", {}, 422),
        ("customer", "POST", "/v1/messages/abc%00def/feedback", {"json": {"rating": 1}}, 422),
        ("owner", "GET", "/v1/kbs/sh%00op", {}, 422),
        ("owner", "GET", "/v1/kbs/sh%00op/documents", {}, 422),
        ("owner", "DELETE", "/v1/kbs/shop/documents/ab%00c", {}, 422),
        ("owner", "DELETE", "/v1/kbs/shop/faqs/ab%00c", {}, 422),
        ("owner", "GET", "/v1/jobs/ab%00c", {}, 422),
        ("agent", "GET", "/v1/channels/outbox?session_id=ab%00c", {}, 422),
        ("customer", "GET", "/v1/models/sh%00op", {}, 400),
        # The OpenAI-compatible route answers validation errors with 400 invalid_request_error, as OpenAI does.
        (
            "customer",
            "POST",
            "/v1/chat/completions",
            _raw('{"model": "shop", "messages": [{"role": "user", "content": ' + LONE + "}]}"),
            400,
        ),
        (
            "customer",
            "POST",
            "/v1/chat/completions",
            {
                "json": {
                    "model": "shop",
                    "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}],
                }
            },
            400,
        ),
        (
            "customer",
            "POST",
            "/v1/chat/completions",
            {
                "json": {
                    "model": "shop",
                    "messages": [{"role": "user", "content": [{"type": "text", "text": None}]}],
                }
            },
            400,
        ),
        (
            "customer",
            "POST",
            "/v1/chat/completions",
            {"json": {"model": "shop", "messages": [{"role": "user", "content": "refund\x00 please"}]}},
            400,
        ),
        (
            "customer",
            "POST",
            "/v1/chat/completions",
            {"json": {"model": "shop", "user": "u\x00", "messages": [{"role": "user", "content": "refund"}]}},
            400,
        ),
        (
            "customer",
            "POST",
            "/v1/chat/completions",
            {"json": {"model": "sh\x00op", "messages": [{"role": "user", "content": "refund"}]}},
            400,
        ),
        (
            "customer",
            "POST",
            "/v1/chat/completions",
            {
                "json": {
                    "model": "shop",
                    "messages": [
                        {"role": "assistant", "content": "a\x00"},
                        {"role": "user", "content": "refund"},
                    ],
                }
            },
            400,
        ),
        # Channels: the signed webhook body.
        (
            "none",
            "POST",
            "/v1/channels/webhook/shop",
            _webhook({"message_id": "m-nul", "user_id": "u-1", "text": "refund\x00 please"}),
            422,
        ),
        (
            "none",
            "POST",
            "/v1/channels/webhook/shop",
            _webhook({"message_id": "m-nul2", "user_id": "u\x00", "text": "refund please"}),
            422,
        ),
    ]
    return cases


def _status(client: TestClient, key: str | None, method: str, url: str, kwargs: dict[str, Any]) -> int:
    kwargs = dict(kwargs)
    headers = {**kwargs.pop("headers", {}), **(auth(key) if key else {})}
    try:
        return client.request(method, url, headers=headers, **kwargs).status_code
    except Exception:  # the harness client re-raises server errors
        return 500


def _conversations(services: Any) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Conversation)) or 0)


def check_bad_input(client: TestClient, services: Any, keys: dict[str, str]) -> None:
    created = client.post("/v1/sessions", json={"kb": "shop"}, headers=auth(keys["customer"]))
    assert created.status_code == 201, created.text
    before = _conversations(services)
    wrong = []
    for role, method, url, kwargs, expected in bad_requests(created.json()["id"]):
        got = _status(client, keys.get(role), method, url, kwargs)
        if got != expected:
            wrong.append((method, url, str(kwargs)[:120], got, expected))
    assert not wrong, "\n".join(map(str, wrong))
    # Refused before anything was written: no conversation row left behind.
    assert _conversations(services) == before


def test_a_non_ascii_digit_timestamp_is_refused_not_a_crash() -> None:
    # "²" passes str.isdigit() but not int(); HTTP headers arrive as latin-1, so it can be sent.
    with pytest.raises(HTTPException) as refused:
        check_timestamp("\u00b2", 300)
    assert refused.value.status_code == 401


def test_bad_input_is_a_4xx_and_writes_nothing_on_sqlite(harness: Harness) -> None:
    check_bad_input(harness.client, harness.services, harness.acme)


@pytest.mark.postgres
def test_bad_input_is_a_4xx_and_writes_nothing_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    app = create_app(api_settings(tmp_path / "data", database_url=postgres_url))
    keys = make_keys(app.state.services, "acme")
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/v1/kbs", json={"name": "shop"}, headers=auth(keys["owner"])).status_code == 201
        check_bad_input(client, app.state.services, keys)
