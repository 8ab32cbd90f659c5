"""Credentials a page URL carries never reach the customer profile, the database or the agent's
handoff package: the server drops credential-looking query parameters (and any kefu key) from the
profile, whatever the client sends."""

from __future__ import annotations

import json
import time

from api_fixture import WEBHOOK_SECRET, ZH_QUESTION, Harness, auth
from sqlalchemy import select

from api.channels.webhook import sign
from assistant.models import Conversation


def test_profile_urls_lose_their_credentials(harness: Harness) -> None:
    key = harness.acme["customer"]
    client = harness.client
    page = (
        f"https://shop.example/help/returns?kb=shop&key={key}&lang=zh&access_token=tok-123&utm_source=mail"
        f"#key={key}"
    )
    profile = {
        "page": page,
        "referrer": "https://user:hunter2@partner.example/?token=abc&x=1",
        "note": f"pasted {key} by mistake",
        "plan": "plus",
        "nested": {"back": f"https://a.example/?apikey={key}"},
    }
    created = client.post(
        "/v1/sessions", json={"kb": "shop", "channel": "web", "user_profile": profile}, headers=auth(key)
    )
    assert created.status_code == 201, created.text
    shown = created.json()["user_profile"]
    assert shown["page"] == "https://shop.example/help/returns?kb=shop&lang=zh&utm_source=mail"
    assert shown["referrer"] == "https://partner.example/?x=1"
    assert shown["plan"] == "plus" and shown["nested"]["back"] == "https://a.example/"
    session_id = created.json()["id"]
    harness.ask(key, session_id, ZH_QUESTION)
    ticket = client.post(
        f"/v1/sessions/{session_id}/escalate", json={"reason": "agent please"}, headers=auth(key)
    )
    assert ticket.status_code == 200, ticket.text
    package = client.get(
        f"/v1/agent/tickets/{ticket.json()['ticket']['id']}", headers=auth(harness.acme["agent"])
    )
    with harness.services.db.session() as session:
        stored = session.get(Conversation, session_id).user_profile
    for where, text in (
        ("response", json.dumps(shown)),
        ("package", package.text),
        ("database", json.dumps(stored)),
    ):
        assert key not in text and "tok-123" not in text and "hunter2" not in text, where
        assert key[:12] not in text, where


def test_channel_profiles_lose_their_credentials(harness: Harness) -> None:
    secret_key = "kefu_" + "A" * 43
    body = json.dumps(
        {
            "message_id": "m-leak",
            "user_id": "u-leak",
            "text": ZH_QUESTION,
            "user_profile": {"page": f"https://shop.example/?session=s3cr3t&ref=ad&key={secret_key}"},
        }
    ).encode()
    stamp = str(int(time.time()))
    response = harness.client.post(
        "/v1/channels/webhook/shop",
        content=body,
        headers={"X-Kefu-Timestamp": stamp, "X-Kefu-Signature": sign(WEBHOOK_SECRET, stamp, body)},
    )
    assert response.status_code == 200, response.text
    with harness.services.db.session() as session:
        row = session.scalar(select(Conversation).where(Conversation.user_id == "u-leak"))
        assert row is not None and row.user_profile == {"page": "https://shop.example/?ref=ad"}
