"""The agent desk: the inbox of escalated conversations, and claim -> reply -> resolve.

While a ticket is open or claimed its conversation is in state "human" and the bot stays silent;
resolving hands the conversation back to the bot and proposes an FAQ entry from the agent's answer.
Claims are conditional UPDATEs, so two agents clicking "claim" at once cannot both win.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, update
from sqlalchemy.orm import Session

from assistant.conversations import ConversationStore
from ingest.config import EscalationSettings, Settings
from assistant.escalation.hook import add_system_message
from assistant.escalation.models import EscalationTicket
from assistant.escalation.tickets import (
    ACTIVE,
    TicketConflict,
    TicketInfo,
    TicketNotFound,
    TicketStore,
    ticket_info,
)
from assistant.knowledge_loop import CandidateInfo, KnowledgeLoop
from assistant.models import ChatMessage, Conversation
from assistant.types import Message
from ingest.db import Database, open_database
from ingest.models import utcnow


@dataclass
class Resolution:
    ticket: TicketInfo
    candidate: CandidateInfo | None  # the FAQ entry proposed from the agent's answer


class AgentDesk:
    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        config: EscalationSettings | None = None,
        knowledge_loop: KnowledgeLoop | None = None,
    ) -> None:
        self.config = config or settings.escalation
        self.db = database or open_database(settings.sql_url)
        self.tickets = TicketStore(self.db, self.config)
        self.conversations = ConversationStore(self.db)
        self.knowledge_loop = knowledge_loop or KnowledgeLoop(settings, database=self.db, config=self.config)

    def inbox(
        self,
        *,
        statuses: Sequence[str] = ACTIVE,
        tenant: str | None = None,
        kb_name: str | None = None,
        assignee: str | None = None,
        breached: bool | None = None,
        limit: int = 100,
    ) -> list[TicketInfo]:
        return self.tickets.list(
            statuses=statuses,
            tenant=tenant,
            kb_name=kb_name,
            assignee=assignee,
            breached=breached,
            limit=limit,
        )

    def ticket(self, ticket_id: int) -> TicketInfo:
        return self.tickets.get(ticket_id)

    def transcript(self, ticket_id: int) -> list[Message]:
        """The whole conversation as the customer sees it, including agent replies since the handoff."""
        return self.conversations.history(self.tickets.get(ticket_id).conversation_id)

    def claim(self, ticket_id: int, agent: str) -> TicketInfo:
        """Take the ticket; claiming one's own ticket again is a no-op."""
        agent = _agent(agent)
        with self.db.session() as session:
            return ticket_info(self._claim(session, ticket_id, agent))

    def reply(self, ticket_id: int, agent: str, text: str) -> ChatMessage:
        """An agent message in the customer's conversation (claims an open ticket first)."""
        agent, text = _agent(agent), text.strip()
        if not text:
            raise ValueError("the reply is empty")
        with self.db.session() as session:
            ticket = self._claim(session, ticket_id, agent)
            now = utcnow()
            session.execute(
                update(EscalationTicket)
                .where(EscalationTicket.id == ticket_id, EscalationTicket.first_response_at.is_(None))
                .values(first_response_at=now)
            )
            conversation_id = ticket.conversation_id
        return self.conversations.add_message(conversation_id, "agent", text, author=agent)

    def resolve(
        self, ticket_id: int, agent: str, resolution: str = "", *, propose_faq: bool = True
    ) -> Resolution:
        """Close the ticket with the answer that solved it and give the conversation back to the bot."""
        agent = _agent(agent)
        with self.db.session() as session:
            ticket = self._claim(session, ticket_id, agent)
            ticket.status, ticket.resolved_at = "resolved", utcnow()
            ticket.resolution = resolution.strip() or None
            conversation = session.get(Conversation, ticket.conversation_id)
            assert conversation is not None  # tickets are deleted with their conversation
            conversation.state = "bot"
            add_system_message(
                session,
                conversation.id,
                f"ticket #{ticket_id} resolved by {agent}",
                {"escalation": {"event": "resolved", "ticket_id": ticket_id, "agent": agent}},
            )
        candidate = self.knowledge_loop.propose(ticket_id) if propose_faq else None
        return Resolution(self.tickets.get(ticket_id), candidate)

    def _claim(self, session: Session, ticket_id: int, agent: str) -> EscalationTicket:
        now = utcnow()
        claimed = session.execute(
            update(EscalationTicket)
            .where(
                EscalationTicket.id == ticket_id,
                EscalationTicket.status.in_(ACTIVE),
                or_(EscalationTicket.assignee.is_(None), EscalationTicket.assignee == agent),
            )
            .values(
                status="claimed", assignee=agent, claimed_at=func.coalesce(EscalationTicket.claimed_at, now)
            )
        )
        ticket = session.get(EscalationTicket, ticket_id, populate_existing=True)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        if claimed.rowcount == 0:  # type: ignore[attr-defined]
            if ticket.status == "resolved":
                raise TicketConflict(f"ticket {ticket_id} is already resolved")
            raise TicketConflict(f"ticket {ticket_id} is claimed by {ticket.assignee}")
        return ticket


def _agent(agent: str) -> str:
    agent = agent.strip()
    if not agent:
        raise ValueError("an agent id is required")
    return agent
