"""One turn is written in one transaction: the customer's message, the reply and any ticket together,
or nothing. The writes are made to fail for real: a database trigger refuses the row."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from ingest.config import EscalationSettings, Settings
from assistant.escalation.hook import Escalator
from assistant.escalation.models import EscalationTicket
from assistant.models import ChatMessage
from assistant.pipeline import AnswerPipeline, AnswerRequest
from ingest.db import open_database
from ingest.embedding import Embedder
from ingest.pipeline import IngestPipeline
from ingest.types import ParsedDocument, Section

KB = "shop"
RETURNS = ParsedDocument(
    source="returns.md",
    title="Returns and refunds",
    file_type="md",
    lang="en",
    sections=[
        Section(
            "You can return any item within 30 days of purchase with the original receipt.",
            heading_path=["Returns and refunds"],
        )
    ],
)


@pytest.fixture
def pipeline(tmp_path, embedder: Embedder) -> AnswerPipeline:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "kefu-data")
    db = open_database(settings.sql_url)
    IngestPipeline(settings, database=db, embedder=embedder).ingest_documents([RETURNS], KB)
    escalator = Escalator(settings, database=db, config=EscalationSettings(_env_file=None), embedder=embedder)
    return AnswerPipeline(settings, database=db, escalator=escalator)


def counts(pipeline: AnswerPipeline, conversation_id: str) -> tuple[int, int]:
    with pipeline.db.session() as session:
        messages = session.scalar(
            select(func.count())
            .select_from(ChatMessage)
            .where(ChatMessage.conversation_id == conversation_id)
        )
        tickets = session.scalar(
            select(func.count())
            .select_from(EscalationTicket)
            .where(EscalationTicket.conversation_id == conversation_id)
        )
    return int(messages or 0), int(tickets or 0)


def test_a_failed_ticket_write_leaves_no_half_written_turn(pipeline: AnswerPipeline) -> None:
    first = pipeline.run(AnswerRequest("How many days do I have to return an item?", kb=KB))
    assert first.mode in ("extractive", "generated") and counts(pipeline, first.conversation_id) == (2, 0)

    with pipeline.db.session() as session:  # SQLite: every new ticket row is refused
        session.execute(
            text(
                "CREATE TRIGGER refuse_tickets BEFORE INSERT ON escalation_tickets "
                "BEGIN SELECT RAISE(ABORT, 'ticket store unavailable'); END"
            )
        )
    with pytest.raises(DatabaseError, match="ticket store unavailable"):
        pipeline.run(AnswerRequest("I want to talk to a human", kb=KB, conversation_id=first.conversation_id))

    # No customer message, no reply, no ticket, no handoff event; the earlier turn is untouched.
    assert counts(pipeline, first.conversation_id) == (2, 0)
    stored = pipeline.conversations.messages(first.conversation_id)
    assert [(m.role, m.content) for m in stored][1] == ("assistant", first.text)
    assert pipeline.conversations.get(first.conversation_id).state == "bot"

    # The last write of an escalating turn (the handoff event, after the message, the reply and
    # the ticket are in the transaction) fails: all of them are rolled back.
    with pipeline.db.session() as session:
        session.execute(text("DROP TRIGGER refuse_tickets"))
        session.execute(
            text(
                "CREATE TRIGGER refuse_events BEFORE INSERT ON messages WHEN NEW.role = 'system' "
                "BEGIN SELECT RAISE(ABORT, 'transcript unavailable'); END"
            )
        )
    with pytest.raises(DatabaseError, match="transcript unavailable"):
        pipeline.run(AnswerRequest("I want to talk to a human", kb=KB, conversation_id=first.conversation_id))
    assert counts(pipeline, first.conversation_id) == (2, 0)
    assert pipeline.conversations.get(first.conversation_id).state == "bot"

    with pipeline.db.session() as session:
        session.execute(text("DROP TRIGGER refuse_events"))
    escalated = pipeline.run(
        AnswerRequest("I want to talk to a human", kb=KB, conversation_id=first.conversation_id)
    )
    assert escalated.mode == "escalated" and escalated.verdicts.escalation is not None
    # message + reply (the handoff notice, stored once as decided) + the handoff event, and the ticket
    assert counts(pipeline, first.conversation_id) == (5, 1)
    reply = pipeline.conversations.messages(first.conversation_id)[3]
    assert (reply.id, reply.content, reply.mode) == (escalated.message_id, escalated.text, "escalated")
    assert (
        reply.verdicts["escalation"]["bot_text"]
        and pipeline.conversations.get(first.conversation_id).state == "human"
    )
