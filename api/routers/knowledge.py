"""Knowledge bases for their owners: create, list, delete; upload documents (background jobs),
list, delete, re-ingest; job status. FAQ entries are in api/routers/faqs.py."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, Response, UploadFile, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import KNOWLEDGE, load_kb, require, services
from api.models import Job
from api.schemas import (
    CreateKB,
    DocumentOut,
    FileResultOut,
    JobOut,
    KBOut,
    Key,
    QuarantinedChunkOut,
    ReingestIn,
    UploadOut,
)
from api.services import Services
from api.uploads import discard_staged, new_staging_folder, store, trash_uploads
from ingest.models import Document, KnowledgeBase

router = APIRouter(prefix="/v1", tags=["knowledge"])

Owner = Annotated[Principal, Depends(require(*KNOWLEDGE))]
Svc = Annotated[Services, Depends(services)]

# Roles that may list knowledge bases (customers list theirs through GET /v1/models).
KB_READERS = ("agent", "owner", "qa", "admin")
LOCK_WAIT_S = 30.0


def kb_out(session: Session, kb: KnowledgeBase) -> KBOut:
    from ingest.registry import summarise

    s = summarise(session, kb)
    return KBOut(
        name=s.name,
        tenant=s.tenant,
        description=kb.description,
        version=s.version,
        documents=s.documents,
        chunks=s.chunks,
        embedded=s.embedded,
        faq_chunks=s.faq_chunks,
        embed_model=s.embed_model,
        quarantined=s.quarantined,
        published_version=s.published_version,
    )


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        kb=job.kb_name,
        status=job.status,
        stage=job.stage,
        done=job.done,
        total=job.total,
        files=[FileResultOut(**f) for f in job.files or []],
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def document_out(doc: Document) -> DocumentOut:
    return DocumentOut(
        id=doc.id,
        source=doc.source,
        title=doc.title,
        file_type=doc.file_type,
        lang=doc.lang,
        n_chunks=doc.n_chunks,
        version=doc.version,
        size_bytes=doc.size_bytes,
        url=doc.url,
        last_error=doc.last_error,
        updated_at=doc.updated_at,
    )


@contextmanager
def writing(svc: Services, kb: str) -> Iterator[None]:
    """Hold the knowledge base's write lock, or answer 409 while a job keeps it busy."""
    lock = svc.kb_lock(kb)
    if not lock.acquire(timeout=LOCK_WAIT_S):
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"knowledge base {kb!r} is being updated by a job; retry shortly",
            headers={"Retry-After": "10"},
        )
    try:
        yield
    finally:
        lock.release()


# -- knowledge bases -------------------------------------------------------------------------------


@router.post("/kbs", status_code=status.HTTP_201_CREATED, response_model=KBOut)
def create_kb(body: CreateKB, who: Owner, svc: Svc) -> KBOut:
    from ingest.embedding import get_embedder
    from ingest.registry import get_or_create_kb

    if who.kbs and body.name not in who.kbs:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"this key is limited to knowledge bases {list(who.kbs)}"
        )
    embedder = get_embedder(svc.settings)
    with svc.db.session() as session:
        if session.scalar(select(KnowledgeBase.id).where(KnowledgeBase.name == body.name)) is not None:
            # Names are unique across tenants (they name Chroma collections and OpenAI "models").
            raise HTTPException(status.HTTP_409_CONFLICT, f"the name {body.name!r} is taken; choose another")
        kb = get_or_create_kb(
            session, body.name, embed_model=embedder.name, embed_dim=embedder.dim, tenant=who.tenant
        )
        kb.description = body.description
        session.flush()
        return kb_out(session, kb)


@router.get("/kbs", response_model=list[KBOut])
def list_kbs(who: Annotated[Principal, Depends(require(*KB_READERS))], svc: Svc) -> list[KBOut]:
    with svc.db.session() as session:
        query = (
            select(KnowledgeBase)
            .where(KnowledgeBase.tenant == who.tenant, KnowledgeBase.deleted_at.is_(None))  # not in the trash
            .order_by(KnowledgeBase.name)
        )
        if who.kbs:
            query = query.where(KnowledgeBase.name.in_(who.kbs))
        return [kb_out(session, kb) for kb in session.scalars(query)]


@router.get("/kbs/{kb}", response_model=KBOut)
def get_kb(kb: Key, who: Annotated[Principal, Depends(require(*KB_READERS))], svc: Svc) -> KBOut:
    with svc.db.session() as session:
        return kb_out(session, load_kb(session, who, kb))


@router.delete("/kbs/{kb}", status_code=status.HTTP_204_NO_CONTENT)
def delete_kb(kb: Key, who: Owner, svc: Svc) -> Response:
    """Move the knowledge base to the trash with its documents, vectors and uploaded files:
    restorable (POST /v1/trash/{kb}/restore) for KEFU_TRASH_DAYS, then purged."""
    with svc.db.session() as session:
        kb_id = load_kb(session, who, kb).id
    with writing(svc, kb):
        svc.ingest().drop(kb)
        trash_uploads(svc.settings.uploads_dir, kb, kb_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# -- documents --------------------------------------------------------------------------------------


def clean_filename(raw: str | None) -> str:
    """The base name of an uploaded file, or 422 when it cannot be a safe file name."""
    name = unicodedata.normalize("NFC", (raw or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    if not name or name in (".", "..") or name.startswith(".") or len(name.encode()) > 200:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"invalid file name {raw!r}")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"file name {raw!r} has control characters"
        )
    return name


def _validate(svc: Services, files: list[UploadFile]) -> list[tuple[str, UploadFile]]:
    """Every file is checked before any is stored: one bad file rejects the whole upload."""
    from ingest.parsing import supported_extensions

    settings = svc.settings
    if not files:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, "no files: send them as multipart field `files`"
        )
    if len(files) > settings.max_upload_files:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{len(files)} files; at most {settings.max_upload_files} per upload",
        )
    named: list[tuple[str, UploadFile]] = []
    for upload in files:
        name = clean_filename(upload.filename)
        suffix = Path(name).suffix.lower()
        if suffix not in supported_extensions():
            raise HTTPException(
                status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                f"{name}: unsupported file type {suffix or '(none)'!r}; supported: "
                + " ".join(sorted(supported_extensions())),
            )
        size = upload.size if upload.size is not None else _measure(upload)
        if size > settings.max_file_bytes:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE,
                f"{name}: {size / 1e6:.1f} MB is over the {settings.max_file_mb:g} MB per-file limit",
            )
        if size == 0:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name}: the file is empty")
        named.append((name, upload))
    names = [name for name, _ in named]
    if len(set(names)) != len(names):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the same file name appears twice")
    return named


def _measure(upload: UploadFile) -> int:
    upload.file.seek(0, os.SEEK_END)
    size = upload.file.tell()
    upload.file.seek(0)
    return size


@router.post("/kbs/{kb}/documents", status_code=status.HTTP_202_ACCEPTED, response_model=UploadOut)
def upload_documents(kb: Key, who: Owner, svc: Svc, files: Annotated[list[UploadFile], File()]) -> UploadOut:
    """Upload files (multipart field `files`, repeatable). They are staged, then parsed, chunked
    and embedded by a background job (poll `GET /v1/jobs/{id}`); a file that fails keeps the
    previous version of its document and its previously uploaded copy."""
    with svc.db.session() as session:
        kb_row = load_kb(session, who, kb)
    named = _validate(svc, files)
    folder = new_staging_folder(svc.settings.uploads_dir, kb_row.name)
    paths = [store(folder, name, upload.file) for name, upload in named]
    try:
        job = svc.jobs.submit(
            kind="ingest",
            kb=kb_row.name,
            tenant=who.tenant,
            params={"paths": [str(p) for p in paths], "staged": True},
            created_by=who.key_id,
            total=len(paths),
        )
    except BaseException:
        discard_staged(paths)
        raise
    return UploadOut(job=job_out(job), files=[p.name for p in paths])


@router.get("/kbs/{kb}/documents", response_model=list[DocumentOut])
def list_documents(kb: Key, who: Owner, svc: Svc) -> list[DocumentOut]:
    from ingest.registry import list_documents as registry_documents

    with svc.db.session() as session:
        return [document_out(d) for d in registry_documents(session, load_kb(session, who, kb))]


EXCERPT_CHARS = 300


@router.get("/kbs/{kb}/quarantine", response_model=list[QuarantinedChunkOut])
def list_quarantine(kb: Key, who: Owner, svc: Svc) -> list[QuarantinedChunkOut]:
    """Chunks held back at ingest because instructions were planted in them, with the reason:
    they are never retrieved. Fix the document and upload it again, or delete it."""
    from ingest.registry import list_quarantined

    with svc.db.session() as session:
        return [
            QuarantinedChunkOut(
                doc_id=doc.id,
                source=doc.source,
                title=doc.title,
                chunk_id=chunk.id,
                excerpt=chunk.text[:EXCERPT_CHARS],
                reason=chunk.quarantine_reason or "",
            )
            for chunk, doc in list_quarantined(session, load_kb(session, who, kb))
        ]


def remove_source(svc: Services, kb: str, source: str) -> None:
    """Remove a document (file or FAQ) from the knowledge base, and its uploaded copy if any."""
    with writing(svc, kb):
        svc.ingest().remove_document(kb, source)
        uploaded = svc.settings.uploads_dir / kb / source
        if uploaded.is_file():
            uploaded.unlink()


def document_in_kb(session: Session, who: Principal, kb: str, doc_id: str) -> Document:
    kb_row = load_kb(session, who, kb)
    doc = session.get(Document, doc_id)
    if doc is None or doc.kb_id != kb_row.id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"document {doc_id!r} not found in {kb!r}")
    return doc


@router.delete("/kbs/{kb}/documents/{doc_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(kb: Key, doc_id: Key, who: Owner, svc: Svc) -> Response:
    with svc.db.session() as session:
        source = document_in_kb(session, who, kb, doc_id).source
    remove_source(svc, kb, source)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/kbs/{kb}/reingest", status_code=status.HTTP_202_ACCEPTED, response_model=JobOut)
def reingest(kb: Key, body: ReingestIn, who: Owner, svc: Svc) -> JobOut:
    """Parse uploaded documents again from their files (all of them by default) and embed any
    chunks still without vectors, as a background job."""
    folder = svc.settings.uploads_dir / kb
    with svc.db.session() as session:
        kb_row = load_kb(session, who, kb)
        if body.doc_ids is None:
            docs = [d for d in kb_row.documents if (folder / d.source).is_file()]
        else:
            docs = [document_in_kb(session, who, kb, doc_id) for doc_id in body.doc_ids]
            missing = [d.source for d in docs if not (folder / d.source).is_file()]
            if missing:
                raise HTTPException(
                    status.HTTP_422_UNPROCESSABLE_CONTENT,
                    f"no uploaded file to read again for: {', '.join(missing)} (only uploaded documents can be re-ingested)",
                )
        paths = [str(folder / d.source) for d in docs]
    job = svc.jobs.submit(
        kind="reingest",
        kb=kb,
        tenant=who.tenant,
        params={"paths": paths},
        created_by=who.key_id,
        total=len(paths),
    )
    return job_out(job)


# -- jobs ---------------------------------------------------------------------------------------------


@router.get("/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: Key, who: Owner, svc: Svc) -> JobOut:
    with svc.db.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.tenant != who.tenant or (who.kbs and job.kb_name not in who.kbs):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"job {job_id!r} not found")
        return job_out(job)


@router.get("/kbs/{kb}/jobs", response_model=list[JobOut])
def list_jobs(kb: Key, who: Owner, svc: Svc) -> list[JobOut]:
    """The knowledge base's 20 most recent jobs, newest first."""
    with svc.db.session() as session:
        load_kb(session, who, kb)
        jobs = session.scalars(
            select(Job)
            .where(Job.kb_name == kb, Job.tenant == who.tenant)
            .order_by(Job.created_at.desc())
            .limit(20)
        )
        return [job_out(j) for j in jobs]
