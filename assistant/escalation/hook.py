"""Escalator: the step the answer pipeline runs after each recorded turn.

When the policy fires it opens a ticket with the handoff package, hands the conversation to a
human (state "human": the pipeline stays silent from the next message on), and replaces the bot's
reply with a handoff notice. The bot's own reply stays in the package and in the message's
verdicts["escalation"], so the agent sees what the customer was about to get.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.conversations import ConversationStore
from assistant.escalation.config import EscalationSettings
from assistant.escalation.handoff import HandoffBuilder, session_context
from assistant.escalation.policy import EscalationPolicy
from assistant.escalation.tickets import TicketInfo, TicketStore, ticket_info
from assistant.escalation.types import EscalationDecision
from assistant.models import ChatMessage, Conversation
from assistant.summary import HandoffSummarizer
from ingest.config import Settings
from ingest.db import Database, open_database
from ingest.embedding import Embedder, get_embedder

if TYPE_CHECKING:
    from assistant.pipeline import AnswerResult

HANDOFF_NOTICE = {
    "en": "I'm passing this conversation to a human agent, who will reply here shortly (ticket #{ticket}).",
    "zh": "已为您转接人工客服，客服会在本会话中尽快回复您（工单号 #{ticket}）。",
}


def handoff_notice(lang: str | None, ticket_id: int) -> str:
    return HANDOFF_NOTICE["zh" if lang == "zh" else "en"].format(ticket=ticket_id)


def add_system_message(session: Session, conversation_id: str, content: str, verdicts: dict[str, Any]) -> None:
    """A handoff event in the transcript (role "system": never shown to the LLM as history)."""
    seq = session.scalar(
        select(func.coalesce(func.max(ChatMessage.seq), 0)).where(ChatMessage.conversation_id == conversation_id)
    )
    session.add(
        ChatMessage(conversation_id=conversation_id, seq=int(seq or 0) + 1, role="system", content=content,
                    verdicts=verdicts)
    )


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
        self.config = config or EscalationSettings()
        self.db = database or open_database(settings.sql_url)
        self.conversations = ConversationStore(self.db)
        self.tickets = TicketStore(self.db, self.config)
        self.policy = EscalationPolicy(self.config, embedder=embedder or get_embedder(settings))
        self.builder = HandoffBuilder(summarizer or HandoffSummarizer(settings), self.config)

    def apply(self, result: AnswerResult) -> AnswerResult:
        """Run the policy on the turn just recorded; the result, turned into a handoff notice when
        the conversation escalates. Unrecorded turns and silent (human-held) turns pass through."""
        if not self.config.enabled or result.mode == "human" or result.conversation_id is None or result.message_id is None:
            return result
        messages = self.conversations.messages(result.conversation_id)
        context = session_context(result.conversation_id, messages, self.config)
        decision = self.policy.run(context) if context is not None else None
        if decision is None:
            return result
        ticket = self.escalate(
            result.conversation_id, decision, reply_message_id=result.message_id, lang=result.lang
        )
        escalation = {"ticket_id": ticket.id, "reasons": ticket.reasons, "priority": ticket.priority}
        return dataclasses.replace(
            result, text=handoff_notice(result.lang, ticket.id), mode="escalated", citations=[],
            verdicts={**result.verdicts, "escalation": escalation},
        )

    def escalate(
        self,
        conversation_id: str,
        decision: EscalationDecision,
        *,
        reply_message_id: str | None = None,
        lang: str | None = None,
    ) -> TicketInfo:
        """Open a ticket (or return the conversation's open one) and hand the conversation to a human.

        reply_message_id: the bot reply of this turn, replaced by the handoff notice in `lang`
        (default: the language of the customer's last message).
        """
        active = self.tickets.active_for(conversation_id)
        if active is not None:
            return active
        info = self.conversations.get(conversation_id)
        # Built before the transaction: the summary may call a hosted LLM.
        package = self.builder.run(info, self.conversations.messages(conversation_id), decision)
        lang = lang or package.customer.get("lang")
        with self.db.session() as session:
            conversation = session.get(Conversation, conversation_id)
            assert conversation is not None  # read just above; conversations are never deleted mid-turn
            ticket = self.tickets.create(session, conversation, decision, package)
            conversation.state = "human"
            event = {"event": "opened", "ticket_id": ticket.id, "reasons": decision.reason_codes}
            if reply_message_id is not None:
                reply = session.get(ChatMessage, reply_message_id)
                if reply is None:
                    raise LookupError(f"message {reply_message_id!r} does not exist")
                reply.verdicts = {
                    **(reply.verdicts or {}),
                    "escalation": {**event, "bot_text": reply.content, "bot_mode": reply.mode},
                }
                reply.content = handoff_notice(lang, ticket.id)
                reply.mode = "escalated"
                reply.citations = []
            add_system_message(session, conversation_id, f"escalated to a human agent: ticket #{ticket.id}",
                               {"escalation": event})
            session.flush()
            return ticket_info(ticket)
