"""FAQ entries of a knowledge base (question, similar questions, answer: one FAQ document each),
and the FAQ candidates proposed from resolved escalation tickets, for owners to accept or reject."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import load_kb
from api.errors import value_errors_as_invalid_input
from api.routers.knowledge import Owner, Svc, document_in_kb, remove_source, writing
from api.schemas import AcceptCandidateIn, CandidateOut, FAQIn, FAQOut, Key, RejectCandidateIn, RowId
from api.schemas_analytics import FaqEntryOut
from api.services import Services
from api.tickets import candidate_out
from assistant.models import new_id
from ingest.models import Chunk, Document
from ingest.types import ParsedDocument, Section

router = APIRouter(prefix="/v1", tags=["knowledge"])

FAQ_PREFIX = "faq/"


def _faq_document(source: str, body: FAQIn) -> ParsedDocument:
    from ingest.text import detect_language

    similar = [q.strip() for q in body.similar_questions if q.strip()]
    question, answer = body.question.strip(), body.answer.strip()
    entry = {"question": question, "similar_questions": similar, "answer": answer}
    return ParsedDocument(
        source=source,
        title=question,
        file_type="faq",
        sections=[Section(text=answer, kind="faq", question=question, similar_questions=similar)],
        lang=detect_language(f"{question}\n{answer}"),
        extra={"faq": entry},
    )


def faq_out(session: Session, doc: Document) -> FAQOut:
    entry = (doc.extra or {}).get("faq") or _accepted_candidate(session, doc)
    return FAQOut(
        id=doc.id,
        question=entry.get("question", doc.title),
        similar_questions=entry.get("similar_questions", []),
        answer=entry.get("answer", ""),
        version=doc.version,
        updated_at=doc.updated_at,
    )


def _accepted_candidate(session: Session, doc: Document) -> dict[str, object]:
    """An FAQ entry published from an agent's answer (assistant.knowledge_loop) keeps its text in
    the candidate row."""
    from assistant.escalation.models import FaqCandidate

    candidate_id = (doc.extra or {}).get("candidate_id")
    row = session.get(FaqCandidate, candidate_id) if isinstance(candidate_id, int) else None
    return {"question": row.question, "answer": row.answer} if row is not None else {}


def _save_faq(svc: Services, kb: str, source: str, body: FAQIn) -> None:
    with writing(svc, kb):
        report = svc.ingest().ingest_documents([_faq_document(source, body)], kb, refuse_flagged=True)
    if report.failed:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, report.failed[0].reason)


def _faq(session: Session, who: Principal, kb: str, faq_id: str) -> Document:
    doc = document_in_kb(session, who, kb, faq_id)
    if not doc.source.startswith(FAQ_PREFIX):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"FAQ entry {faq_id!r} not found in {kb!r}")
    return doc


@router.get("/kbs/{kb}/faqs", response_model=list[FAQOut])
def list_faqs(kb: Key, who: Owner, svc: Svc) -> list[FAQOut]:
    with svc.db.session() as session:
        kb_row = load_kb(session, who, kb)
        docs = session.scalars(
            select(Document)
            .where(Document.kb_id == kb_row.id, Document.source.startswith(FAQ_PREFIX))
            .order_by(Document.created_at)
        )
        return [faq_out(session, d) for d in docs]


# The labels ingest.chunking puts before an FAQ chunk's question and answer ("Q: ...\nA: ...").
ANSWER_LABELS = ("A: ", "答：")


def _answer(chunk_text: str) -> str:
    _, _, answer = chunk_text.partition("\n")
    return next((answer[len(label) :] for label in ANSWER_LABELS if answer.startswith(label)), answer)


@router.get("/kbs/{kb}/faq-entries", response_model=list[FaqEntryOut])
def list_faq_entries(kb: Key, who: Owner, svc: Svc) -> list[FaqEntryOut]:
    """Every FAQ entry of the knowledge base, including the rows of uploaded csv/xlsx FAQ files."""
    with svc.db.session() as session:
        kb_row = load_kb(session, who, kb)
        rows = session.execute(
            select(Chunk, Document.source)
            .join(Document, Document.id == Chunk.doc_id)
            .where(Chunk.kb_id == kb_row.id, Chunk.kind == "faq")
            .order_by(Document.source, Chunk.ordinal)
        ).all()
        entries = []
        for chunk, source in rows:
            question, *similar = [line for line in chunk.match_text.split("\n") if line.strip()] or [""]
            entries.append(
                FaqEntryOut(
                    chunk_id=chunk.id,
                    doc_id=chunk.doc_id,
                    source=source,
                    question=question,
                    similar_questions=similar,
                    answer=_answer(chunk.text),
                    editable=source.startswith(FAQ_PREFIX),
                )
            )
        return entries


@router.post("/kbs/{kb}/faqs", status_code=status.HTTP_201_CREATED, response_model=FAQOut)
def create_faq(kb: Key, body: FAQIn, who: Owner, svc: Svc) -> FAQOut:
    """Add an FAQ entry; it is searchable and answerable when this returns."""
    from ingest.registry import document_id

    with svc.db.session() as session:
        kb_id = load_kb(session, who, kb).id
    source = FAQ_PREFIX + new_id()
    _save_faq(svc, kb, source, body)
    with svc.db.session() as session:
        return faq_out(session, _faq(session, who, kb, document_id(kb_id, source)))


@router.put("/kbs/{kb}/faqs/{faq_id}", response_model=FAQOut)
def update_faq(kb: Key, faq_id: Key, body: FAQIn, who: Owner, svc: Svc) -> FAQOut:
    with svc.db.session() as session:
        source = _faq(session, who, kb, faq_id).source
    _save_faq(svc, kb, source, body)
    with svc.db.session() as session:
        return faq_out(session, _faq(session, who, kb, faq_id))


@router.delete("/kbs/{kb}/faqs/{faq_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_faq(kb: Key, faq_id: Key, who: Owner, svc: Svc) -> Response:
    with svc.db.session() as session:
        source = _faq(session, who, kb, faq_id).source
    remove_source(svc, kb, source)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- FAQ candidates (proposed from resolved escalation tickets) ---------------------------------------------


def _candidate(svc: Services, who: Principal, kb: str, candidate_id: int) -> None:
    with svc.db.session() as session:
        load_kb(session, who, kb)
    from assistant.knowledge_loop import CandidateNotFound

    candidate = svc.knowledge_loop().get(candidate_id)
    if candidate.kb_name != kb:  # the same 404 as a candidate that does not exist
        raise CandidateNotFound(candidate_id)


@router.get("/kbs/{kb}/faq-candidates", response_model=list[CandidateOut])
def list_candidates(
    kb: Key,
    who: Owner,
    svc: Svc,
    candidate_status: Annotated[Key, Query(alias="status")] = "pending",
) -> list[CandidateOut]:
    """FAQ entries proposed from agents' answers; status pending (default), duplicate, accepted, rejected."""
    with svc.db.session() as session:
        kb_row = load_kb(session, who, kb)
    with value_errors_as_invalid_input():
        candidates = svc.knowledge_loop().candidates(
            statuses=(candidate_status,), kb_name=kb_row.name, tenant=who.tenant
        )
    return [candidate_out(c) for c in candidates]


@router.post("/kbs/{kb}/faq-candidates/{candidate_id}/accept", response_model=CandidateOut)
def accept_candidate(
    kb: Key, candidate_id: RowId, body: AcceptCandidateIn, who: Owner, svc: Svc
) -> CandidateOut:
    """Publish the candidate (optionally edited) as an FAQ entry of the knowledge base."""
    _candidate(svc, who, kb, candidate_id)
    with writing(svc, kb), value_errors_as_invalid_input():
        return candidate_out(
            svc.knowledge_loop().accept(
                candidate_id,
                who.key_id,
                question=body.question,
                answer=body.answer,
                note=body.note,
            )
        )


@router.post("/kbs/{kb}/faq-candidates/{candidate_id}/reject", response_model=CandidateOut)
def reject_candidate(
    kb: Key, candidate_id: RowId, body: RejectCandidateIn, who: Owner, svc: Svc
) -> CandidateOut:
    _candidate(svc, who, kb, candidate_id)
    return candidate_out(svc.knowledge_loop().reject(candidate_id, who.key_id, note=body.note))
