"""What analytics knows about each conversation, read from the stored tables in a few queries.

A conversation's dimensions are fixed at its start: day (UTC date of creation), knowledge base,
channel, language (of its first customer message, else of its first answer) and release arm (the
first arm recorded on one of its answers, "none" when no turn recorded one). Every metric of the
conversation, including its turns, feedback and tickets, is attributed to these dimensions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from assistant.escalation.models import EscalationTicket
from assistant.escalation.tickets import aware, ticket_info
from assistant.models import ChatMessage, Conversation, Feedback
from ingest.db import Database
from ingest.models import utcnow

BATCH = 500  # ids per IN (...) clause
NO_ARM = "none"


@dataclass(frozen=True)
class Scope:
    """Which conversations: a tenant, optionally some knowledge bases, started in [since, until)."""

    since: datetime
    until: datetime
    tenant: str | None = None
    kbs: tuple[str, ...] | None = None  # None: every knowledge base of the tenant


@dataclass
class TurnFacts:
    """One stored message of the conversation (user, assistant, agent or system)."""

    id: str
    seq: int
    role: str
    content: str
    mode: str | None
    lang: str | None
    query: str | None
    verdicts: dict[str, Any]
    sources: list[dict[str, Any]]
    latency_ms: float | None
    first_token_ms: float | None
    created_at: datetime

    @property
    def top_chunk(self) -> str | None:
        """The best-ranked retrieved passage: what the turn was about."""
        ranked = sorted(self.sources, key=lambda s: s.get("n") or 0)
        return str(ranked[0].get("chunk_id") or ranked[0].get("doc_id")) if ranked else None


@dataclass
class FeedbackFacts:
    message_id: str
    rating: int  # +1 / -1
    score: int | None  # optional 1-5
    comment: str


@dataclass
class TicketFacts:
    id: int
    status: str
    reasons: list[str]
    resolution: str | None
    handling_s: float | None  # resolved tickets: resolved_at - (claimed_at or created_at)
    breached: bool


@dataclass
class ConversationFacts:
    id: str
    tenant: str
    kb: str
    channel: str
    user_id: str | None
    created_at: datetime
    day: str
    lang: str
    arm: str
    turns: list[TurnFacts] = field(default_factory=list)
    feedback: list[FeedbackFacts] = field(default_factory=list)
    tickets: list[TicketFacts] = field(default_factory=list)

    @property
    def user_turns(self) -> list[TurnFacts]:
        return [t for t in self.turns if t.role == "user"]

    @property
    def answers(self) -> list[TurnFacts]:
        return [t for t in self.turns if t.role == "assistant"]

    @property
    def topics(self) -> set[str]:
        return {t.top_chunk for t in self.answers if t.top_chunk}

    def dimension(self, name: str) -> str:
        return str(getattr(self, name))


DIMENSIONS = ("day", "kb", "channel", "lang", "arm")


def _batches(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def load_conversations(
    db: Database, scope: Scope | None, *, extra_ids: Iterable[str] = (), now: datetime | None = None
) -> list[ConversationFacts]:
    """Every conversation in the scope (none without one) plus `extra_ids`, oldest first, with
    its messages, feedback and escalation tickets."""
    now = now or utcnow()
    with db.session() as session:
        rows: dict[str, Conversation] = {}
        if scope is not None:
            query = select(Conversation).where(
                Conversation.created_at >= scope.since, Conversation.created_at < scope.until
            )
            if scope.tenant is not None:
                query = query.where(Conversation.tenant == scope.tenant)
            if scope.kbs is not None:
                query = query.where(Conversation.kb_name.in_(list(scope.kbs)))
            rows = {row.id: row for row in session.scalars(query)}
        extra = sorted(i for i in set(extra_ids) if i not in rows)
        for batch in _batches(extra):
            rows.update(
                {
                    row.id: row
                    for row in session.scalars(select(Conversation).where(Conversation.id.in_(batch)))
                }
            )
        facts = {
            row.id: ConversationFacts(
                id=row.id,
                tenant=row.tenant,
                kb=row.kb_name,
                channel=row.channel,
                user_id=row.user_id,
                created_at=aware(row.created_at) or now,
                day=(aware(row.created_at) or now).date().isoformat(),
                lang="unknown",
                arm=NO_ARM,
            )
            for row in rows.values()
        }
        ids = sorted(facts)
        for batch in _batches(ids):
            for m in session.scalars(select(ChatMessage).where(ChatMessage.conversation_id.in_(batch))):
                timings = m.timings_ms or {}
                facts[m.conversation_id].turns.append(
                    TurnFacts(
                        id=m.id,
                        seq=m.seq,
                        role=m.role,
                        content=m.content,
                        mode=m.mode,
                        lang=m.lang,
                        query=m.query,
                        verdicts=dict(m.verdicts or {}),
                        sources=list(m.sources or []),
                        latency_ms=m.latency_ms,
                        # A streamed answer records when its first token left; an answer delivered whole
                        # reaches the customer at once, so its first token is its full latency.
                        first_token_ms=timings.get("first_token", m.latency_ms),
                        created_at=aware(m.created_at) or now,
                    )
                )
                if m.role == "assistant" and m.arm and facts[m.conversation_id].arm == NO_ARM:
                    facts[m.conversation_id].arm = m.arm
            feedback = session.execute(
                select(ChatMessage.conversation_id, Feedback)
                .join(ChatMessage, ChatMessage.id == Feedback.message_id)
                .where(ChatMessage.conversation_id.in_(batch))
                .order_by(Feedback.id)
            )
            for conversation_id, row in feedback:
                facts[conversation_id].feedback.append(
                    FeedbackFacts(
                        message_id=row.message_id, rating=row.rating, score=row.score, comment=row.comment
                    )
                )
            tickets = session.scalars(
                select(EscalationTicket)
                .where(EscalationTicket.conversation_id.in_(batch))
                .order_by(EscalationTicket.id)
            )
            for ticket in tickets:
                info = ticket_info(ticket, now=now)
                handling = None
                if info.resolved_at is not None:
                    handling = (info.resolved_at - (info.claimed_at or info.created_at)).total_seconds()
                facts[ticket.conversation_id].tickets.append(
                    TicketFacts(
                        id=info.id,
                        status=info.status,
                        reasons=info.reasons,
                        resolution=info.resolution,
                        handling_s=handling,
                        breached=info.breached,
                    )
                )
    ordered = sorted(facts.values(), key=lambda c: (c.created_at, c.id))
    for conversation in ordered:
        conversation.turns.sort(key=lambda t: t.seq)
        langs = [t.lang for t in conversation.user_turns if t.lang] + [
            t.lang for t in conversation.answers if t.lang
        ]
        conversation.lang = langs[0] if langs else "unknown"
    return ordered


def later_contacts(
    db: Database, conversations: Sequence[ConversationFacts], until: datetime
) -> dict[str, list[str]]:
    """user id -> ids of that user's conversations (same tenant) started before `until`, for
    the repeat-contact check; anonymous conversations have no later contacts."""
    users = sorted({c.user_id for c in conversations if c.user_id})
    tenants = sorted({c.tenant for c in conversations})
    since = min((c.created_at for c in conversations), default=until)
    found: defaultdict[str, list[str]] = defaultdict(list)
    with db.session() as session:
        for batch in _batches(users):
            rows = session.execute(
                select(Conversation.user_id, Conversation.id).where(
                    Conversation.user_id.in_(batch),
                    Conversation.tenant.in_(tenants),
                    Conversation.created_at >= since,
                    Conversation.created_at < until,
                )
            )
            for user_id, conversation_id in rows:
                if user_id is not None:  # always: in_() matches no NULL
                    found[user_id].append(conversation_id)
    return dict(found)
