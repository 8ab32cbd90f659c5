"""The agent-to-knowledge loop: resolved tickets propose FAQ entries; a knowledge owner accepts them
into the knowledge base (a new version, retrievable on the next question) or rejects them.

propose(ticket)   question (the customer's main question, redacted) -> the agent's answer, checked
                  against the KB's FAQ questions and the pending candidates: near-identical ones
                  are marked "duplicate", the closest one is always recorded for the reviewer
propose_question a question customers keep asking (a gap cluster from assistant.analytics.gaps),
                  with the agents' answer when there is one, else for the reviewer to write
accept(candidate) ingested as an FAQ document `faq/candidate-<id>` through IngestPipeline
reject(candidate)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.config import EscalationSettings, Settings
from assistant.escalation.models import CANDIDATE_STATUSES, EscalationTicket, FaqCandidate
from assistant.escalation.tickets import TicketNotFound, aware
from assistant.guards.ingest_screen import PlantedInstructionScreen
from assistant.guards.pii import PiiRedactor
from assistant.models import ChatMessage
from ingest.db import Database, open_database
from ingest.embedding import Embedder, get_embedder
from ingest.errors import Conflict, InvalidInput, NotFound
from ingest.models import CachedVector, Chunk, KnowledgeBase, utcnow
from ingest.registry import current_chunk_ids, text_hash
from ingest.text import detect_language
from ingest.types import ParsedDocument, Section

REVIEWABLE = ("pending", "duplicate")
SOURCE_PREFIX = "faq/candidate-"


class CandidateNotFound(NotFound, LookupError):
    def __init__(self, candidate_id: int) -> None:
        super().__init__(f"FAQ candidate {candidate_id} does not exist")
        self.candidate_id = candidate_id


class CandidateClosed(Conflict, RuntimeError):
    """The candidate was already accepted or rejected (HTTP 409)."""


class FaqIngestError(InvalidInput, RuntimeError):
    pass


@dataclass
class CandidateInfo:
    id: int
    ticket_id: int | None
    tenant: str
    kb_name: str
    question: str
    answer: str
    lang: str
    status: str
    similar_to: dict[str, Any] | None
    similarity: float | None
    reviewer: str | None
    review_note: str
    source: str | None
    kb_version: int | None
    created_at: datetime
    reviewed_at: datetime | None


def _info(row: FaqCandidate) -> CandidateInfo:
    return CandidateInfo(
        id=row.id,
        ticket_id=row.ticket_id,
        tenant=row.tenant,
        kb_name=row.kb_name,
        question=row.question,
        answer=row.answer,
        lang=row.lang,
        status=row.status,
        similar_to=row.similar_to,
        similarity=row.similarity,
        reviewer=row.reviewer,
        review_note=row.review_note,
        source=row.source,
        kb_version=row.kb_version,
        created_at=aware(row.created_at) or utcnow(),
        reviewed_at=aware(row.reviewed_at),
    )


@dataclass(frozen=True)
class _Known:
    """A question the candidate is compared with."""

    kind: str  # "faq" (a question of an FAQ chunk) | "candidate" (a pending candidate)
    id: str
    question: str
    source: str


class KnowledgeLoop:
    def __init__(
        self,
        settings: Settings,
        *,
        database: Database | None = None,
        config: EscalationSettings | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self.db = database or open_database(settings.sql_url)
        self.config = config or settings.escalation
        self.embedder = embedder or get_embedder(settings)
        self.redactor = PiiRedactor(settings.guards)

    # -- propose ------------------------------------------------------------------------------

    def propose(self, ticket_id: int) -> CandidateInfo | None:
        """The FAQ candidate of a resolved ticket (created once); None when the ticket has no
        customer question or no agent answer to learn from."""
        with self.db.session() as session:
            ticket = session.get(EscalationTicket, ticket_id)
            if ticket is None:
                raise TicketNotFound(ticket_id)
            if ticket.status != "resolved":
                raise ValueError(
                    f"ticket {ticket_id} is {ticket.status}; only resolved tickets propose FAQ entries"
                )
            existing = session.scalar(select(FaqCandidate).where(FaqCandidate.ticket_id == ticket_id))
            if existing is not None:
                return _info(existing)
            question = self._question(ticket)
            answer = (ticket.resolution or "").strip() or self._last_agent_reply(session, ticket)
            tenant, kb_name = ticket.tenant, ticket.kb_name
        if not question or not answer:
            return None
        return self._create(tenant, kb_name, question, answer, ticket_id=ticket_id)

    def propose_question(
        self, tenant: str, kb_name: str, question: str, answer: str = "", *, note: str = ""
    ) -> CandidateInfo:
        """A candidate from a question customers keep asking (e.g. a gap cluster, see
        assistant.analytics.gaps); the answer may be left for the reviewer to write."""
        question = self.redactor.run(question.strip()).text
        if not question:
            raise ValueError("an FAQ candidate needs a question")
        return self._create(tenant, kb_name, question, answer.strip(), note=note)

    def _create(
        self,
        tenant: str,
        kb_name: str,
        question: str,
        answer: str,
        *,
        ticket_id: int | None = None,
        note: str = "",
    ) -> CandidateInfo:
        nearest, score = self._nearest(kb_name, question)
        status = (
            "duplicate"
            if nearest is not None and score >= self.config.faq_duplicate_similarity
            else "pending"
        )
        with self.db.session() as session:
            row = FaqCandidate(
                ticket_id=ticket_id,
                tenant=tenant,
                kb_name=kb_name,
                question=question,
                answer=answer,
                lang=detect_language(question),
                status=status,
                review_note=note,
                similar_to=asdict(nearest) if nearest is not None else None,
                similarity=round(score, 4) if nearest is not None else None,
            )
            session.add(row)
            session.flush()
            return _info(row)

    def _question(self, ticket: EscalationTicket) -> str:
        """The customer's first main question (see assistant.summary.main_questions), else the
        message that escalated; redacted again because messages typed while an agent held the
        conversation skip the input guard."""
        package = ticket.package or {}
        questions = (package.get("summary") or {}).get("questions") or []
        evidence = [r.get("evidence", "") for r in package.get("reasons", [])]
        text = next((q for q in [*questions, *evidence] if q and q.strip()), "")
        return self.redactor.run(text.strip()).text

    @staticmethod
    def _last_agent_reply(session: Session, ticket: EscalationTicket) -> str:
        content = session.scalar(
            select(ChatMessage.content)
            .where(ChatMessage.conversation_id == ticket.conversation_id, ChatMessage.role == "agent")
            .order_by(ChatMessage.seq.desc())
        )
        return (content or "").strip()

    # -- similarity ---------------------------------------------------------------------------

    def _known_questions(self, kb_name: str) -> list[_Known]:
        with self.db.session() as session:
            rows = session.execute(
                select(Chunk.id, Chunk.match_text, Chunk.doc_id)
                .join(KnowledgeBase, KnowledgeBase.id == Chunk.kb_id)
                .where(
                    KnowledgeBase.name == kb_name,
                    Chunk.kind == "faq",
                    Chunk.id.in_(current_chunk_ids(KnowledgeBase.id)),  # not older versions' chunks
                )
            ).all()
            pending = session.scalars(
                select(FaqCandidate).where(FaqCandidate.kb_name == kb_name, FaqCandidate.status == "pending")
            ).all()
            known = [
                # match_text of an FAQ chunk: the question, then its similar questions, one a line.
                _Known("faq", chunk_id, line.strip(), doc_id)
                for chunk_id, match_text, doc_id in rows
                for line in match_text.split("\n")
                if line.strip()
            ]
            known += [_Known("candidate", str(c.id), c.question, f"{SOURCE_PREFIX}{c.id}") for c in pending]
        return known

    def _nearest(self, kb_name: str, question: str) -> tuple[_Known | None, float]:
        known = self._known_questions(kb_name)
        if not known:
            return None, 0.0
        vectors = self._query_vectors([question, *(k.question for k in known)])
        scores = vectors[1:] @ vectors[0]
        best = int(np.argmax(scores))
        return known[best], float(scores[best])

    def _query_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Query-prefixed vectors (question against question), cached in the ingest vector cache
        under their own model key so they never mix with passage vectors."""
        model = f"{self.embedder.name}#query"
        hashes = [text_hash(t) for t in texts]
        cached: dict[str, np.ndarray] = {}
        with self.db.session() as session:
            for batch in _batches(sorted(set(hashes)), 500):
                for row in session.scalars(
                    select(CachedVector).where(CachedVector.model == model, CachedVector.text_hash.in_(batch))
                ):
                    cached[row.text_hash] = np.frombuffer(row.vector, dtype="<f4")
        missing = {h: t for h, t in zip(hashes, texts) if h not in cached}
        if missing:
            with self.db.session() as session:
                for digest, text in missing.items():
                    vector = np.asarray(self.embedder.embed_query(text), dtype="<f4")
                    cached[digest] = vector
                    session.merge(
                        CachedVector(
                            model=model, text_hash=digest, dim=vector.shape[0], vector=vector.tobytes()
                        )
                    )
        return np.stack([cached[h] for h in hashes])

    # -- review -------------------------------------------------------------------------------

    def get(self, candidate_id: int) -> CandidateInfo:
        with self.db.session() as session:
            return _info(self._row(session, candidate_id))

    def candidates(
        self,
        *,
        statuses: Sequence[str] = REVIEWABLE,
        kb_name: str | None = None,
        tenant: str | None = None,
        limit: int = 100,
    ) -> list[CandidateInfo]:
        unknown = set(statuses) - set(CANDIDATE_STATUSES)
        if unknown:
            raise ValueError(f"unknown candidate statuses {sorted(unknown)}; known: {CANDIDATE_STATUSES}")
        query = select(FaqCandidate).where(FaqCandidate.status.in_(list(statuses)))
        if kb_name is not None:
            query = query.where(FaqCandidate.kb_name == kb_name)
        if tenant is not None:
            query = query.where(FaqCandidate.tenant == tenant)
        with self.db.session() as session:
            return [_info(row) for row in session.scalars(query.order_by(FaqCandidate.id).limit(limit))]

    def accept(
        self,
        candidate_id: int,
        reviewer: str,
        *,
        question: str | None = None,
        answer: str | None = None,
        note: str = "",
    ) -> CandidateInfo:
        """Publish the candidate (optionally edited) as an FAQ document: a new KB version."""
        from ingest.pipeline import IngestPipeline  # chunking and Chroma load slowly; only accept needs them

        with self.db.session() as session:
            row = self._reviewable(session, candidate_id)
            question = (question or row.question).strip()
            answer = (answer or row.answer).strip()
            kb_name, ticket_id = row.kb_name, row.ticket_id
        if not question or not answer:
            raise ValueError("an FAQ entry needs a question and an answer")
        source = f"{SOURCE_PREFIX}{candidate_id}"
        lang = detect_language(question)
        document = ParsedDocument(
            source=source,
            title=question[:200],
            file_type="faq",
            lang=lang,
            sections=[Section(text=answer, kind="faq", question=question, heading_path=["FAQ"])],
            extra={
                "origin": "escalation",
                "candidate_id": candidate_id,
                "ticket_id": ticket_id,
                "reviewer": reviewer,
            },
        )
        report = IngestPipeline(
            self.settings, database=self.db, embedder=self.embedder, screen=PlantedInstructionScreen()
        ).ingest_documents([document], kb_name, refuse_flagged=True)
        if report.failed:
            raise FaqIngestError(
                f"FAQ candidate {candidate_id} could not be ingested: {report.failed[0].reason}"
            )
        with self.db.session() as session:
            row = self._reviewable(session, candidate_id)
            row.question, row.answer, row.lang = question, answer, lang
            row.status, row.reviewer, row.review_note = "accepted", reviewer, note
            row.source, row.kb_version, row.reviewed_at = source, report.version, utcnow()
            return _info(row)

    def reject(self, candidate_id: int, reviewer: str, *, note: str = "") -> CandidateInfo:
        with self.db.session() as session:
            row = self._reviewable(session, candidate_id)
            row.status, row.reviewer, row.review_note, row.reviewed_at = "rejected", reviewer, note, utcnow()
            return _info(row)

    @staticmethod
    def _row(session: Session, candidate_id: int) -> FaqCandidate:
        row = session.get(FaqCandidate, candidate_id)
        if row is None:
            raise CandidateNotFound(candidate_id)
        return row

    def _reviewable(self, session: Session, candidate_id: int) -> FaqCandidate:
        row = self._row(session, candidate_id)
        if row.status not in REVIEWABLE:
            raise CandidateClosed(f"FAQ candidate {candidate_id} is already {row.status}")
        return row


def _batches(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
