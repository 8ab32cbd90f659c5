"""Knowledge-base versions and the trash (ingest.versions): list, diff, publish, roll back, prune;
deleted knowledge bases listed and restored.

Customers are always served the published version; owners and QA list and diff versions and
search any of them (POST /v1/search with `version`). Publishing, rolling back and pruning are
owners' (KNOWLEDGE) and hold the knowledge base's write lock, like an ingest. A deleted knowledge
base's uploaded files wait in uploads/.trash/<id> with it and come back on restore.
"""

from __future__ import annotations

import shutil
from datetime import datetime, UTC
from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Response, status
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import load_kb, require
from api.routers.knowledge import Owner, Svc, kb_out, writing
from api.uploads import TRASH_FOLDER
from api.schemas import (
    DocumentChangeOut,
    KBOut,
    Key,
    PruneIn,
    PruneOut,
    RestoreIn,
    RowId,
    TrashedKBOut,
    VersionDiffOut,
    VersionOut,
)
from api.services import Services
from ingest import versions
from ingest.models import KBVersion, KnowledgeBase

router = APIRouter(prefix="/v1", tags=["versions"])

VERSION_READERS = ("owner", "qa", "admin")
Reader = Annotated[Principal, Depends(require(*VERSION_READERS))]


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def version_out(kb: KnowledgeBase, row: KBVersion) -> VersionOut:
    return VersionOut(
        version=row.version,
        state=versions.version_state(kb, row),
        created_at=_utc(row.created_at),
        published_at=_utc(row.published_at),
        documents=row.documents,
        chunks=row.chunks,
        docs_added=row.docs_added,
        docs_changed=row.docs_changed,
        docs_removed=row.docs_removed,
        config=row.config or {},
    )


@router.get("/kbs/{kb}/versions", response_model=list[VersionOut])
def list_versions(kb: Key, who: Reader, svc: Svc) -> list[VersionOut]:
    """The knowledge base's versions, newest first, each with its state: published (customers
    get it), draft (newer than the published one), previous, or legacy (not servable)."""
    with svc.db.session() as session:
        kb_row = load_kb(session, who, kb)
        return [version_out(kb_row, row) for row in versions.list_versions(session, kb_row)]


@router.get("/kbs/{kb}/versions/{a}/diff/{b}", response_model=VersionDiffOut)
def diff_versions(kb: Key, a: RowId, b: RowId, who: Reader, svc: Svc) -> VersionDiffOut:
    """What changed from version a to version b: documents, chunk counts, configuration."""
    with svc.db.session() as session:
        found = versions.diff(session, load_kb(session, who, kb), a, b)
    return VersionDiffOut(
        a=found.a,
        b=found.b,
        documents=[DocumentChangeOut(**change.__dict__) for change in found.documents],
        chunks_added=found.chunks_added,
        chunks_removed=found.chunks_removed,
        chunks_shared=found.chunks_shared,
        config={key: list(values) for key, values in found.config.items()},
    )


def _published(svc: Services, who: Principal, kb: str) -> VersionOut:
    with svc.db.session() as session:
        kb_row = load_kb(session, who, kb)
        assert kb_row.published_version is not None
        return version_out(kb_row, versions.get_version(session, kb_row, kb_row.published_version))


@router.post("/kbs/{kb}/versions/{version}/publish", response_model=VersionOut)
def publish(kb: Key, version: RowId, who: Owner, svc: Svc) -> VersionOut:
    """Serve this version to customers from their next question on."""
    with svc.db.session() as session:
        load_kb(session, who, kb)
    with writing(svc, kb):
        svc.ingest().publish(kb, version)
    return _published(svc, who, kb)


@router.post("/kbs/{kb}/rollback", response_model=VersionOut)
def rollback(kb: Key, who: Owner, svc: Svc) -> VersionOut:
    """Serve the version published before the current one (each call steps further back)."""
    with svc.db.session() as session:
        load_kb(session, who, kb)
    with writing(svc, kb):
        svc.ingest().rollback(kb)
    return _published(svc, who, kb)


@router.post("/kbs/{kb}/prune", response_model=PruneOut)
def prune(kb: Key, body: PruneIn, who: Owner, svc: Svc) -> PruneOut:
    """Delete all but the newest `keep` versions (never the published one), with the chunks and
    vectors only they used."""
    with svc.db.session() as session:
        load_kb(session, who, kb)
    with writing(svc, kb):
        result = svc.ingest().prune(kb, body.keep)
    return PruneOut(versions=result.versions, revisions=result.revisions, chunks=len(result.chunk_ids))


# -- trash --------------------------------------------------------------------------------------------


def purge_expired(svc: Services) -> None:
    """Purge trashed knowledge bases past KEFU_TRASH_DAYS, and their uploaded files."""
    svc.ingest().purge_expired()
    trash = svc.settings.uploads_dir / TRASH_FOLDER
    if trash.is_dir():
        with svc.db.session() as session:
            for folder in trash.iterdir():
                if not folder.name.isdigit() or session.get(KnowledgeBase, int(folder.name)) is None:
                    shutil.rmtree(folder, ignore_errors=True)


def _visible(who: Principal, kb: KnowledgeBase) -> bool:
    return kb.tenant == who.tenant and (not who.kbs or kb.trashed_name in who.kbs)


def trashed_out(session: Session, svc: Services, kb: KnowledgeBase) -> TrashedKBOut:
    from ingest.registry import list_documents

    return TrashedKBOut(
        name=kb.trashed_name or "",
        deleted_at=_utc(kb.deleted_at),
        purge_after=versions.purge_after(kb, svc.settings.trash_days),
        documents=len(list_documents(session, kb)),
    )


def _trashed_id(svc: Services, who: Principal, name: str) -> int:
    """The id of the most recently trashed knowledge base called `name` that the key may see."""
    with svc.db.session() as session:
        for kb in versions.list_trash(session, who.tenant):
            if kb.trashed_name == name and _visible(who, kb):
                return kb.id
    raise HTTPException(status.HTTP_404_NOT_FOUND, f"no knowledge base {name!r} in the trash")


@router.get("/trash", response_model=list[TrashedKBOut])
def list_trash(who: Owner, svc: Svc) -> list[TrashedKBOut]:
    """Deleted knowledge bases of the tenant, restorable until `purge_after`."""
    purge_expired(svc)
    with svc.db.session() as session:
        return [
            trashed_out(session, svc, kb)
            for kb in versions.list_trash(session, who.tenant)
            if _visible(who, kb)
        ]


@router.post("/trash/{name}/restore", response_model=KBOut)
def restore(
    name: Key,
    who: Owner,
    svc: Svc,
    body: Annotated[RestoreIn | None, Body()] = None,
) -> KBOut:
    """Restore the most recently deleted knowledge base called `name`, with its documents,
    vectors and versions (under `body.name` when its name was taken meanwhile: else 409)."""
    purge_expired(svc)
    as_name = body.name if body is not None else None
    if as_name and who.kbs and as_name not in who.kbs:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"this key is limited to knowledge bases {list(who.kbs)}"
        )
    kb_id = _trashed_id(svc, who, name)
    restored_name = as_name or name
    with writing(svc, restored_name):
        svc.ingest().restore(name, tenant=who.tenant, as_name=as_name)
    uploads = svc.settings.uploads_dir / TRASH_FOLDER / str(kb_id)
    target = svc.settings.uploads_dir / restored_name
    if uploads.is_dir() and not target.exists():
        uploads.rename(target)
    with svc.db.session() as session:
        return kb_out(session, load_kb(session, who, restored_name))


@router.delete("/trash/{name}", status_code=status.HTTP_204_NO_CONTENT)
def purge(name: Key, who: Owner, svc: Svc) -> Response:
    """Delete the most recently trashed knowledge base called `name` for good, now: its rows,
    vectors, BM25 indexes and uploaded files."""
    kb_id = _trashed_id(svc, who, name)
    svc.ingest().purge_id(kb_id)
    shutil.rmtree(svc.settings.uploads_dir / TRASH_FOLDER / str(kb_id), ignore_errors=True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
