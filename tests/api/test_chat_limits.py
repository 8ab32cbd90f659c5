"""Every chat route caps the message and the history a caller sends, from the settings, with a 413
that names the limit, before anything is written (a 980,000-character message used to be answered
on /v1/chat/completions and stored twice)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from api_fixture import WEBHOOK_SECRET, Harness, api_settings, auth, make_keys
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from api.channels.webhook import sign
from assistant.guards import GuardSettings
from assistant.models import Conversation


def _conversations(services: Any) -> int:
    with services.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Conversation)) or 0)


def _completion(*contents: str) -> dict[str, Any]:
    roles = ["user", "assistant"]
    messages = [{"role": roles[i % 2], "content": c} for i, c in enumerate(contents[:-1])]
    return {"model": "shop", "messages": [*messages, {"role": "user", "content": contents[-1]}]}


def _webhook(client: TestClient, message_id: str, text: str) -> Any:
    body = json.dumps({"message_id": message_id, "user_id": "u-limits", "text": text}).encode()
    stamp = str(int(time.time()))
    return client.post(
        "/v1/channels/webhook/shop",
        content=body,
        headers={"X-Kefu-Timestamp": stamp, "X-Kefu-Signature": sign(WEBHOOK_SECRET, stamp, body)},
    )


def _error(response: Any) -> str:
    body = response.json()
    return str(body["error"]["message"] if "error" in body else body["detail"])


def test_default_message_cap_is_the_input_guards_on_every_chat_route(harness: Harness) -> None:
    client, key = harness.client, harness.acme["customer"]
    limit = GuardSettings().max_input_chars
    session_id = harness.session(key)
    before = _conversations(harness.services)
    huge = "warranty " * 6_000  # 54,000 characters: under the body limit, far over the message cap
    responses = {
        "sessions": client.post(
            f"/v1/sessions/{session_id}/messages", json={"text": huge}, headers=auth(key)
        ),
        "openai": client.post("/v1/chat/completions", json=_completion(huge), headers=auth(key)),
        "openai-stream": client.post(
            "/v1/chat/completions", json={**_completion(huge), "stream": True}, headers=auth(key)
        ),
        "webhook": _webhook(client, "m-huge", huge),
        "just over": client.post(
            f"/v1/sessions/{session_id}/messages", json={"text": "x" * (limit + 1)}, headers=auth(key)
        ),
    }
    for route, response in responses.items():
        assert response.status_code == 413, (route, response.status_code, response.text[:300])
        assert f"{limit:,}" in _error(response), (route, _error(response))
    assert _conversations(harness.services) == before
    history = client.get(f"/v1/sessions/{session_id}/messages", headers=auth(key)).json()
    assert history == []  # nothing stored for the refused message


def test_caps_come_from_the_settings(tmp_path: Path) -> None:
    settings = api_settings(
        tmp_path / "data", max_message_chars=40, max_history_messages=2, max_history_chars=50
    )
    app = create_app(settings)
    keys = make_keys(app.state.services, "acme")
    with TestClient(app) as client:
        customer = auth(keys["customer"])
        assert client.post("/v1/kbs", json={"name": "shop"}, headers=auth(keys["owner"])).status_code == 201
        session_id = client.post("/v1/sessions", json={"kb": "shop"}, headers=customer).json()["id"]
        before = _conversations(app.state.services)
        over = "y" * 41
        cases = {
            "message": client.post(
                f"/v1/sessions/{session_id}/messages", json={"text": over}, headers=customer
            ),
            "openai question": client.post("/v1/chat/completions", json=_completion(over), headers=customer),
            "openai history message": client.post(
                "/v1/chat/completions", json=_completion(over, "ok", "hi"), headers=customer
            ),
            "history messages": client.post(
                "/v1/chat/completions", json=_completion("a", "b", "c", "hi"), headers=customer
            ),
            "history characters": client.post(
                "/v1/chat/completions", json=_completion("a" * 30, "b" * 30, "hi"), headers=customer
            ),
            "webhook": _webhook(client, "m-over", over),
        }
        expected = {
            "message": "40",
            "openai question": "40",
            "openai history message": "40",
            "history messages": "2 messages",
            "history characters": "50",
            "webhook": "40",
        }
        for name, response in cases.items():
            assert response.status_code == 413, (name, response.status_code, response.text[:300])
            assert expected[name] in _error(response), (name, _error(response))
        assert _conversations(app.state.services) == before
