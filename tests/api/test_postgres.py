"""The service on PostgreSQL (the production state store): keys, knowledge, jobs, chat, channel idempotency."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from api_fixture import (
    SHOP_DOCS,
    WEBHOOK_SECRET,
    ZH_QUESTION,
    api_settings,
    auth,
    make_keys,
    upload,
    write_docs,
)
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from api.channels.webhook import sign
from api.models import ChannelMessage
from assistant.models import Feedback

pytestmark = pytest.mark.postgres


def test_service_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    app = create_app(api_settings(tmp_path / "data", database_url=postgres_url))
    services = app.state.services
    keys = make_keys(services, "acme")
    with TestClient(app) as client:
        owner, customer = auth(keys["owner"]), auth(keys["customer"])
        assert client.post("/v1/kbs", json={"name": "shop"}, headers=owner).status_code == 201
        assert client.post("/v1/kbs", json={"name": "shop"}, headers=owner).status_code == 409
        job = upload(client, keys["owner"], "shop", write_docs(tmp_path / "docs", SHOP_DOCS))
        assert job["status"] == "succeeded", job
        hits = client.post("/v1/search", json={"kb": "shop", "query": "退货 三十天"}, headers=owner).json()[
            "hits"
        ]
        assert hits[0]["source"] == "zh-returns.md"

        session_id = client.post("/v1/sessions", json={"kb": "shop"}, headers=customer).json()["id"]
        answer = client.post(
            f"/v1/sessions/{session_id}/messages", json={"text": ZH_QUESTION}, headers=customer
        )
        assert answer.status_code == 200 and answer.json()["citations"]
        message_id = answer.json()["message_id"]
        assert (
            client.post(
                f"/v1/messages/{message_id}/feedback", json={"rating": 1}, headers=customer
            ).status_code
            == 201
        )
        with services.db.session() as session:
            assert session.scalars(
                select(Feedback.rating).where(Feedback.message_id == message_id)
            ).all() == [1]

        body = json.dumps({"message_id": "pg-1", "user_id": "u-pg", "text": ZH_QUESTION}).encode()
        stamp = str(int(time.time()))
        headers = {"X-Kefu-Timestamp": stamp, "X-Kefu-Signature": sign(WEBHOOK_SECRET, stamp, body)}
        first = client.post("/v1/channels/webhook/shop", content=body, headers=headers)
        again = client.post(
            "/v1/channels/webhook/shop", content=body, headers=headers
        )  # unique violation path
        assert first.status_code == again.status_code == 200
        assert again.json()["duplicate"] and again.json()["text"] == first.json()["text"]
        with services.db.session() as session:
            assert (
                len(session.scalars(select(ChannelMessage).where(ChannelMessage.message_id == "pg-1")).all())
                == 1
            )
        escalated = client.post(f"/v1/sessions/{session_id}/escalate", json={}, headers=customer).json()
        inbox = client.get("/v1/agent/inbox", headers=auth(keys["agent"])).json()
        assert [t["id"] for t in inbox] == [escalated["ticket"]["id"]]
