"""The outbox on PostgreSQL (the production state store): the migration, the claim that keeps two
runs from sending twice, and the cascade that erases pushes with their conversation."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from api_fixture import WEBHOOK_SECRET, api_settings
from channel_support import Captured, receiving
from sqlalchemy import select

from api.channels.models import ChannelDelivery
from api.channels.outbound import deliver, record
from api.services import Services
from assistant.models import Conversation

pytestmark = pytest.mark.postgres


def test_outbox_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    def ok(_: Captured) -> tuple[int, bytes]:
        return 200, b"{}"

    with receiving(ok) as receiver:
        svc = Services(
            api_settings(
                tmp_path / "data",
                database_url=postgres_url,
                channel_push_backoff_s=0.0,
                webhook_callbacks={"shop": receiver.url + "/hook"},
            )
        )
        with svc.db.session() as session:
            conversation = Conversation(kb_name="shop", tenant="acme", channel="webhook", user_id="u-pg")
            session.add(conversation)
            session.flush()
            conversation_id = conversation.id
        message = svc.conversations.add_message(
            conversation_id, "agent", "您好，已为您处理。", author="agent-1"
        )
        delivery_id = record(svc, message)
        assert delivery_id is not None
        assert deliver(svc, delivery_id) == "delivered"
        assert deliver(svc, delivery_id) is None  # claimed already: a second run sends nothing
        [request] = receiver.posts("/hook")
    assert request.json()["text"] == "您好，已为您处理。"
    stamp = request.headers["x-kefu-timestamp"]
    assert (
        request.headers["x-kefu-signature"]
        == "sha256="
        + hmac.new(WEBHOOK_SECRET.encode(), stamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    )
    with svc.db.session() as session:
        row = session.get(ChannelDelivery, delivery_id)
        assert row is not None and (row.status, row.attempts) == ("delivered", 1)
        session.delete(session.get(Conversation, conversation_id))
    with svc.db.session() as session:
        assert session.scalars(select(ChannelDelivery).where(ChannelDelivery.id == delivery_id)).all() == []
