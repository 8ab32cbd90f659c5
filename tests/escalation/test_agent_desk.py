"""Tickets and the agent desk against real SQL (SQLite file and PostgreSQL): open, inbox, claim,
reply, resolve, SLA; the conversation state follows the ticket."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from assistant.conversations import ConversationStore
from assistant.escalation.agents import AgentDesk
from ingest.config import EscalationSettings, Settings
from assistant.escalation.hook import Escalator
from assistant.escalation.models import EscalationTicket
from assistant.escalation.tickets import TicketConflict, TicketNotFound, ticket_info
from assistant.escalation.types import EscalationDecision, RuleHit
from ingest.db import open_database
from ingest.embedding import Embedder


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    overrides = (
        {"database_url": request.getfixturevalue("postgres_url")} if request.param == "postgres" else {}
    )
    return Settings(data_dir=tmp_path / "kefu-data", **overrides)


@pytest.fixture
def desk(backend: Settings, embedder: Embedder) -> tuple[Escalator, AgentDesk, ConversationStore]:
    db = open_database(backend.sql_url)
    config = EscalationSettings(_env_file=None)
    return (
        Escalator(backend, database=db, config=config, embedder=embedder),
        AgentDesk(backend, database=db, config=config),
        ConversationStore(db),
    )


def decision(code: str, priority: int) -> EscalationDecision:
    return EscalationDecision([RuleHit(code, f"test: {code}", "I will sue you")], priority=priority)


def open_ticket(
    escalator: Escalator,
    store: ConversationStore,
    *,
    kb: str = "shop",
    tenant: str = "acme",
    code: str = "explicit_request",
    priority: int = 3,
) -> tuple[str, int]:
    conversation = store.create(
        kb, tenant=tenant, channel="web", user_id="cust-7", user_profile={"tier": "gold"}
    )
    store.add_message(
        conversation.id, "user", "My blender broke after two days, can I get a new one?", lang="en"
    )
    return conversation.id, escalator.escalate(conversation.id, decision(code, priority)).id


def test_escalate_claim_reply_resolve(desk: tuple[Escalator, AgentDesk, ConversationStore]) -> None:
    escalator, agents, store = desk
    conversation_id, ticket_id = open_ticket(escalator, store)
    assert store.get(conversation_id).state == "human"
    assert escalator.escalate(conversation_id, decision("complaint", 2)).id == ticket_id  # one open ticket
    ticket = agents.ticket(ticket_id)
    assert ticket.status == "open" and ticket.reasons == ["explicit_request"] and ticket.assignee is None
    assert ticket.package["customer"] == {
        "user_id": "cust-7",
        "channel": "web",
        "lang": "en",
        "profile": {"tier": "gold"},
    }
    assert ticket.package["summary"]["questions"] == ["My blender broke after two days, can I get a new one?"]

    with pytest.raises(TicketNotFound):
        agents.claim(99999, "alice")
    assert agents.claim(ticket_id, "alice").assignee == "alice"
    with pytest.raises(TicketConflict, match="claimed by alice"):
        agents.claim(ticket_id, "bob")
    assert agents.claim(ticket_id, "alice").status == "claimed"  # claiming again is a no-op
    with pytest.raises(TicketConflict):
        agents.reply(ticket_id, "bob", "I can help too")

    agents.reply(ticket_id, "alice", "Sorry about that! I've sent a replacement, order R-991.")
    history = store.history(conversation_id)
    assert (history[-1].role, history[-1].content) == (
        "agent",
        "Sorry about that! I've sent a replacement, order R-991.",
    )
    assert agents.ticket(ticket_id).first_response_at is not None
    assert [m.role for m in store.messages(conversation_id)] == ["user", "system", "agent"]

    resolution = agents.resolve(ticket_id, "alice", "We replace blenders that fail within 30 days.")
    assert resolution.ticket.status == "resolved" and resolution.ticket.resolved_at is not None
    assert store.get(conversation_id).state == "bot"
    assert store.messages(conversation_id)[-1].verdicts["escalation"]["event"] == "resolved"
    with pytest.raises(TicketConflict, match="already resolved"):
        agents.resolve(ticket_id, "alice")
    # No knowledge base exists, so nothing to compare with: the candidate is pending, unmatched.
    candidate = resolution.candidate
    assert candidate is not None and candidate.status == "pending" and candidate.similar_to is None
    assert candidate.answer == "We replace blenders that fail within 30 days."
    assert candidate.question == "My blender broke after two days, can I get a new one?"


def test_inbox_filters_and_order(desk: tuple[Escalator, AgentDesk, ConversationStore]) -> None:
    escalator, agents, store = desk
    _, normal = open_ticket(escalator, store, kb="shop", tenant="acme")
    _, urgent = open_ticket(escalator, store, kb="shop", tenant="acme", code="legal_threat", priority=1)
    _, other = open_ticket(escalator, store, kb="travel", tenant="globex")
    assert [t.id for t in agents.inbox(tenant="acme")] == [urgent, normal]  # most urgent first
    assert [t.id for t in agents.inbox(kb_name="travel")] == [other]
    agents.claim(normal, "alice")
    assert [t.id for t in agents.inbox(statuses=["claimed"])] == [normal]
    assert [t.id for t in agents.inbox(assignee="alice")] == [normal]
    agents.resolve(other, "carol", "", propose_faq=False)
    assert other not in [t.id for t in agents.inbox()]
    assert [t.id for t in agents.inbox(statuses=["resolved"])] == [other]
    with pytest.raises(ValueError, match="unknown ticket statuses"):
        agents.inbox(statuses=["closed"])


def test_sla_due_times_and_breach(desk: tuple[Escalator, AgentDesk, ConversationStore]) -> None:
    escalator, agents, store = desk
    _, urgent = open_ticket(escalator, store, code="legal_threat", priority=1)
    _, normal = open_ticket(escalator, store)
    ticket = agents.ticket(urgent)
    assert ticket.priority_name == "urgent"
    assert ticket.first_response_due_at - ticket.created_at == timedelta(minutes=5)
    assert ticket.resolve_due_at - ticket.created_at == timedelta(minutes=120)
    assert not ticket.breached
    with agents.db.session() as session:
        row = session.get(EscalationTicket, urgent)
        later = ticket.created_at + timedelta(minutes=6)
        assert ticket_info(row, now=later).first_response_breached
        assert not ticket_info(row, now=later).resolution_breached
        # Mark the urgent ticket as created an hour ago: it is breached in the inbox.
        row.created_at = row.created_at - timedelta(hours=1)
        row.first_response_due_at = row.first_response_due_at - timedelta(hours=1)
    assert [t.id for t in agents.inbox(breached=True)] == [urgent]
    assert [t.id for t in agents.inbox(breached=False)] == [normal]
    agents.reply(normal, "alice", "On it.")  # answered in time: stays within SLA after the due time
    with agents.db.session() as session:
        row = session.scalar(select(EscalationTicket).where(EscalationTicket.id == normal))
        assert not ticket_info(row, now=ticket.created_at + timedelta(minutes=61)).first_response_breached


def test_empty_agent_or_reply_is_an_error(desk: tuple[Escalator, AgentDesk, ConversationStore]) -> None:
    escalator, agents, store = desk
    _, ticket_id = open_ticket(escalator, store)
    with pytest.raises(ValueError, match="agent id"):
        agents.claim(ticket_id, "  ")
    with pytest.raises(ValueError, match="empty"):
        agents.reply(ticket_id, "alice", " ")
