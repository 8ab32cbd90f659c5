"""The escalation component (assistant.escalation, assistant.knowledge_loop) as the routes use it."""

from __future__ import annotations

from typing import Any

from api.schemas import CandidateOut, TicketOut
from api.services import Services


def ticket_out(ticket: Any) -> TicketOut:
    """From assistant.escalation.tickets.TicketInfo."""
    return TicketOut(
        id=ticket.id,
        session_id=ticket.conversation_id,
        kb=ticket.kb_name,
        status=ticket.status,
        reasons=ticket.reasons,
        priority=ticket.priority,
        priority_name=ticket.priority_name,
        assignee=ticket.assignee,
        resolution=ticket.resolution,
        summary=ticket.summary,
        created_at=ticket.created_at,
        claimed_at=ticket.claimed_at,
        first_response_at=ticket.first_response_at,
        resolved_at=ticket.resolved_at,
        first_response_due_at=ticket.first_response_due_at,
        resolve_due_at=ticket.resolve_due_at,
        breached=ticket.breached,
        package=ticket.package,
    )


def candidate_out(candidate: Any) -> CandidateOut:
    """From assistant.knowledge_loop.CandidateInfo."""
    return CandidateOut(
        id=candidate.id,
        ticket_id=candidate.ticket_id,
        kb=candidate.kb_name,
        question=candidate.question,
        answer=candidate.answer,
        lang=candidate.lang,
        status=candidate.status,
        similar_to=candidate.similar_to,
        similarity=candidate.similarity,
        reviewer=candidate.reviewer,
        review_note=candidate.review_note,
        source=candidate.source,
        created_at=candidate.created_at,
        reviewed_at=candidate.reviewed_at,
    )


def escalate_on_request(svc: Services, conversation_id: str, reason: str) -> Any:
    """Open a ticket because the customer asked for a person (the "talk to a human" button);
    the conversation's open ticket when it already has one."""
    from assistant.escalation.types import EscalationDecision, RuleHit

    escalator = svc.escalator()
    code = "explicit_request"
    decision = EscalationDecision(
        hits=[RuleHit(code=code, detail="the customer asked for a human agent", evidence=reason)],
        priority=escalator.config.priorities.get(code, 3),
    )
    return escalator.escalate(conversation_id, decision)
