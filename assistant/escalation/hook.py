"""Escalator: decides whether a turn hands the conversation to a human, and opens the ticket.

The turn service (assistant.pipeline) asks decide() before anything of the turn is stored, with
the stored messages and the turn's own (unstored) rows; when the policy fires, the turn is written
as a handoff notice in the same transaction that opens the ticket (open()), so no reply is ever
rewritten. The bot's own reply stays in the package and in the reply's verdicts (escalation), so
the agent sees what the customer was about to get. escalate() is the customer's explicit request
("talk to a human"), outside a turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from assistant.conversations import ConversationInfo, ConversationStore, next_seq
from ingest.config import EscalationSettings, Settings
from assistant.escalation.handoff import HandoffBuilder, HandoffPackage, session_context
from assistant.escalation.policy import EscalationPolicy
from assistant.escalation.tickets import TicketInfo, TicketStore, ticket_info
from assistant.escalation.types import EscalationDecision
from assistant.models import ChatMessage, Conversation
from assistant.summary import HandoffSummarizer
from ingest.db import Database, open_database
from ingest.embedding import Embedder, get_embedder

HANDOFF_NOTICE = {
    "en": "I'm passing this conversation to a human agent, who will reply here shortly (ticket #{ticket}).",
    "zh": "已为您转接人工客服，客服会在本会话中尽快回复您（工单号 #{ticket}）。",
}


def handoff_notice(lang: str | None, ticket_id: int) -> str:
    return HANDOFF_NOTICE["zh" if lang == "zh" else "en"].format(ticket=ticket_id)


def add_system_message(
    session: Session, conversation_id: str, content: str, verdicts: dict[str, Any]
) -> None:
    """A handoff event in the transcript (role "system": never shown to the LLM as history)."""
    session.add(
        ChatMessage(
            conversation_id=conversation_id,
            seq=next_seq(session, conversation_id),
            role="system",
            content=content,
            verdicts=verdicts,
        )
    )


@dataclass(frozen=True)
class Handoff:
    """The policy fired: why, and the package for the agent (None: the conversation's ticket is open)."""

    decision: EscalationDecision
    package: HandoffPackage | None
    active: TicketInfo | None = None


class Escalator:
    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        config: EscalationSettings | None = None,
        embedder: Embedder | None = None,
        summarizer: HandoffSummarizer | None = None,
    ) -> None:
        self.config = config or settings.escalation
        self.db = database or open_database(settings.sql_url)
        self.conversations = ConversationStore(self.db)
        self.tickets = TicketStore(self.db, self.config)
        self.policy = EscalationPolicy(self.config, embedder=embedder or get_embedder(settings))
        self.builder = HandoffBuilder(summarizer or HandoffSummarizer(settings), self.config)

    def decide(self, conversation: ConversationInfo, messages: Sequence[ChatMessage]) -> Handoff | None:
        """Run the policy on the session; messages: the stored ones followed by this turn's rows.
        Built before the writing transaction: the summary may call a hosted LLM."""
        if not self.config.enabled:
            return None
        context = session_context(conversation.id, messages, self.config)
        decision = self.policy.run(context) if context is not None else None
        if decision is None:
            return None
        active = self.tickets.active_for(conversation.id)
        if active is not None:
            return Handoff(decision, None, active)
        return Handoff(decision, self.builder.run(conversation, messages, decision))

    def open(self, session: Session, conversation_id: str, handoff: Handoff) -> TicketInfo:
        """Inside the caller's transaction: the ticket, and the conversation handed to a human.
        The conversation's open ticket when it has one."""
        if handoff.active is not None:
            return handoff.active
        assert handoff.package is not None  # decide() builds one whenever no ticket is open
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise LookupError(f"conversation {conversation_id!r} does not exist")
        ticket = self.tickets.create(session, conversation, handoff.decision, handoff.package)
        conversation.state = "human"
        return ticket_info(ticket)

    def mark(
        self, session: Session, conversation_id: str, ticket: TicketInfo, decision: EscalationDecision
    ) -> None:
        """The handoff event in the transcript, after the turn that caused it."""
        event = {"event": "opened", "ticket_id": ticket.id, "reasons": decision.reason_codes}
        add_system_message(
            session,
            conversation_id,
            f"escalated to a human agent: ticket #{ticket.id}",
            {"escalation": event},
        )
        session.flush()

    def escalate(self, conversation_id: str, decision: EscalationDecision) -> TicketInfo:
        """Open a ticket because of `decision` outside a turn (the customer's "talk to a human"
        button); the conversation's open ticket when it already has one."""
        active = self.tickets.active_for(conversation_id)
        if active is not None:
            return active
        loaded = self.conversations.load(conversation_id)
        handoff = Handoff(decision, self.builder.run(loaded.info, loaded.messages, decision))
        with self.db.session() as session:
            ticket = self.open(session, conversation_id, handoff)
            self.mark(session, conversation_id, ticket, decision)
            return ticket
