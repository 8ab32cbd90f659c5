"""Escalation tickets: creation with SLA due times, look-ups, and the view agents get."""

from __future__ import annotations

from ingest.errors import Conflict, NotFound
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.config import PRIORITY_NAMES, EscalationSettings
from assistant.escalation.handoff import HandoffPackage
from assistant.escalation.models import TICKET_STATUSES, EscalationTicket
from assistant.escalation.types import EscalationDecision
from assistant.models import Conversation
from ingest.db import Database
from ingest.models import utcnow

ACTIVE = ("open", "claimed")


class TicketNotFound(NotFound, LookupError):
    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"escalation ticket {ticket_id} does not exist")
        self.ticket_id = ticket_id


class TicketConflict(Conflict, RuntimeError):
    """The ticket is held by another agent, or already resolved (HTTP 409)."""


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every kefu timestamp is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass
class TicketInfo:
    id: int
    conversation_id: str
    tenant: str
    kb_name: str
    status: str
    reasons: list[str]
    priority: int
    assignee: str | None
    resolution: str | None
    created_at: datetime
    claimed_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    first_response_due_at: datetime
    resolve_due_at: datetime
    first_response_breached: bool
    resolution_breached: bool
    package: dict[str, Any]

    @property
    def breached(self) -> bool:
        return self.first_response_breached or self.resolution_breached

    @property
    def priority_name(self) -> str:
        return PRIORITY_NAMES.get(self.priority, str(self.priority))

    @property
    def summary(self) -> str:
        return str((self.package.get("summary") or {}).get("text", ""))


def ticket_info(row: EscalationTicket, *, now: datetime | None = None) -> TicketInfo:
    now = now or utcnow()
    first_due, resolve_due = aware(row.first_response_due_at), aware(row.resolve_due_at)
    first_response_at, resolved_at = aware(row.first_response_at), aware(row.resolved_at)
    assert first_due is not None and resolve_due is not None  # NOT NULL columns
    return TicketInfo(
        id=row.id,
        conversation_id=row.conversation_id,
        tenant=row.tenant,
        kb_name=row.kb_name,
        status=row.status,
        reasons=list(row.reasons or []),
        priority=row.priority,
        assignee=row.assignee,
        resolution=row.resolution,
        created_at=aware(row.created_at) or now,
        claimed_at=aware(row.claimed_at),
        first_response_at=first_response_at,
        resolved_at=resolved_at,
        first_response_due_at=first_due,
        resolve_due_at=resolve_due,
        first_response_breached=(first_response_at or now) > first_due,
        resolution_breached=(resolved_at or now) > resolve_due,
        package=dict(row.package or {}),
    )


class TicketStore:
    def __init__(self, database: Database, config: EscalationSettings) -> None:
        self.db = database
        self.config = config

    def create(
        self,
        session: Session,
        conversation: Conversation,
        decision: EscalationDecision,
        package: HandoffPackage,
        *,
        now: datetime | None = None,
    ) -> EscalationTicket:
        """A new open ticket inside the caller's transaction, with its SLA due times."""
        now = now or utcnow()
        priority = decision.priority
        row = EscalationTicket(
            conversation_id=conversation.id,
            tenant=conversation.tenant,
            kb_name=conversation.kb_name,
            status="open",
            reasons=decision.reason_codes,
            priority=priority,
            package=package.as_dict(),
            created_at=now,
            first_response_due_at=now
            + timedelta(minutes=self._minutes(self.config.first_response_minutes, priority)),
            resolve_due_at=now + timedelta(minutes=self._minutes(self.config.resolution_minutes, priority)),
        )
        session.add(row)
        session.flush()
        return row

    @staticmethod
    def _minutes(table: dict[int, int], priority: int) -> int:
        if priority in table:
            return table[priority]
        return table[max(table)]  # a priority without its own SLA gets the most lenient one

    def get(self, ticket_id: int) -> TicketInfo:
        with self.db.session() as session:
            row = session.get(EscalationTicket, ticket_id)
            if row is None:
                raise TicketNotFound(ticket_id)
            return ticket_info(row)

    def active_for(self, conversation_id: str) -> TicketInfo | None:
        with self.db.session() as session:
            row = session.scalar(
                select(EscalationTicket)
                .where(
                    EscalationTicket.conversation_id == conversation_id, EscalationTicket.status.in_(ACTIVE)
                )
                .order_by(EscalationTicket.id.desc())
            )
            return ticket_info(row) if row is not None else None

    def list(
        self,
        *,
        statuses: Sequence[str] = ACTIVE,
        tenant: str | None = None,
        kb_name: str | None = None,
        assignee: str | None = None,
        breached: bool | None = None,
        limit: int = 100,
    ) -> list[TicketInfo]:
        """Most urgent first, then oldest first."""
        unknown = set(statuses) - set(TICKET_STATUSES)
        if unknown:
            raise ValueError(f"unknown ticket statuses {sorted(unknown)}; known: {TICKET_STATUSES}")
        query = select(EscalationTicket).where(EscalationTicket.status.in_(list(statuses)))
        if tenant is not None:
            query = query.where(EscalationTicket.tenant == tenant)
        if kb_name is not None:
            query = query.where(EscalationTicket.kb_name == kb_name)
        if assignee is not None:
            query = query.where(EscalationTicket.assignee == assignee)
        query = query.order_by(EscalationTicket.priority, EscalationTicket.created_at, EscalationTicket.id)
        if breached is None:
            query = query.limit(limit)  # else the breach, computed per row, filters before the limit
        now = utcnow()
        with self.db.session() as session:
            rows = [ticket_info(row, now=now) for row in session.scalars(query)]
        if breached is not None:
            rows = [row for row in rows if row.breached == breached]
        return rows[:limit]
