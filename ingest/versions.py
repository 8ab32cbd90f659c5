"""Knowledge-base versions: record, list, diff, publish, roll back, prune; and the trash.

A version is an immutable manifest (the document revisions it lists, each with its chunk ids)
plus the chunking and embedder configuration it was built with. `KnowledgeBase.version` is the
newest version (the draft owners and QA search); `KnowledgeBase.published_version` is the one
customers are served. Chunk rows and vectors are shared between versions: `prune` deletes a chunk
only when no retained version and not the working state lists it. The SQL side lives here; the
pipeline (ingest.pipeline) deletes the vectors and index folders prune and purge leave behind.
"""

from __future__ import annotations

from ingest.errors import Conflict, NotFound
from dataclasses import dataclass, field
from datetime import datetime, timedelta, UTC
from typing import Any, Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ingest.models import (
    Chunk,
    Document,
    DocumentRevision,
    KBVersion,
    KnowledgeBase,
    RevisionChunk,
    VersionDocument,
    utcnow,
)


# Which version a search reads: the published one, the newest (draft), or a number.
VersionRef = int | Literal["published", "draft"]


class VersionNotFound(NotFound, LookupError):
    pass


class VersionError(Conflict, ValueError):
    """A version operation that cannot be done as asked (nothing to roll back to, a bad keep)."""


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def version_chunk_ids(version_row_id: int) -> Any:
    """The chunk ids a version lists (a subquery)."""
    return (
        select(RevisionChunk.chunk_id)
        .join(VersionDocument, VersionDocument.revision_id == RevisionChunk.revision_id)
        .where(VersionDocument.version_id == version_row_id)
    )


def record_version(
    session: Session,
    kb: KnowledgeBase,
    *,
    added: int,
    changed: int,
    removed: int,
    config: dict[str, Any],
    publish: bool,
) -> int:
    """A new version listing every document's current revision; published at once if asked."""
    kb.version += 1
    row = KBVersion(
        kb_id=kb.id,
        version=kb.version,
        docs_added=added,
        docs_changed=changed,
        docs_removed=removed,
        config=dict(config),
    )
    session.add(row)
    session.flush()
    revisions = list(
        session.scalars(
            select(Document.revision_id).where(Document.kb_id == kb.id, Document.revision_id.is_not(None))
        )
    )
    session.add_all(VersionDocument(version_id=row.id, revision_id=r) for r in set(revisions))
    session.flush()
    row.documents = len(set(revisions))
    row.chunks = session.scalar(select(func.count()).select_from(version_chunk_ids(row.id).subquery())) or 0
    if publish:
        _publish(kb, row)
    return kb.version


def _publish(kb: KnowledgeBase, row: KBVersion) -> None:
    kb.published_version = row.version
    row.published_at = utcnow()


def list_versions(session: Session, kb: KnowledgeBase) -> list[KBVersion]:
    """Newest first."""
    return list(
        session.scalars(select(KBVersion).where(KBVersion.kb_id == kb.id).order_by(KBVersion.version.desc()))
    )


def get_version(session: Session, kb: KnowledgeBase, number: int) -> KBVersion:
    row = session.scalar(select(KBVersion).where(KBVersion.kb_id == kb.id, KBVersion.version == number))
    if row is None:
        raise VersionNotFound(f"knowledge base {kb.name!r} has no version {number} (pruned or never made)")
    return row


def resolve(kb: KnowledgeBase, ref: VersionRef) -> int | None:
    """The version number a reference names (None: nothing published, or nothing ingested yet)."""
    if ref == "published":
        return kb.published_version
    if ref == "draft":
        return kb.version or None
    return int(ref)


def version_state(kb: KnowledgeBase, row: KBVersion) -> str:
    if not row.servable:
        return "legacy"
    if row.version == kb.published_version:
        return "published"
    if kb.published_version is None or row.version > kb.published_version:
        return "draft"
    return "previous"


def publish(session: Session, kb: KnowledgeBase, number: int) -> KBVersion:
    row = get_version(session, kb, number)
    if not row.servable:
        raise VersionError(
            f"version {number} was recorded before versions had manifests; it cannot be served"
        )
    _publish(kb, row)
    return row


def rollback(session: Session, kb: KnowledgeBase) -> KBVersion:
    """Publish the newest retained version older than the published one that was published
    before. Each rollback steps further back; `publish` goes forward again."""
    if kb.published_version is None:
        raise VersionError(f"knowledge base {kb.name!r} has no published version to roll back from")
    row = session.scalar(
        select(KBVersion)
        .where(
            KBVersion.kb_id == kb.id,
            KBVersion.version < kb.published_version,
            KBVersion.published_at.is_not(None),
            KBVersion.servable.is_(True),
        )
        .order_by(KBVersion.version.desc())
        .limit(1)
    )
    if row is None:
        raise VersionError(
            f"knowledge base {kb.name!r}: no earlier published version is retained to roll back to"
        )
    _publish(kb, row)
    return row


@dataclass
class DocumentChange:
    source: str
    change: Literal["added", "removed", "changed"]
    chunks_before: int
    chunks_after: int


@dataclass
class VersionDiff:
    a: int
    b: int
    documents: list[DocumentChange]
    chunks_added: int  # in b, not in a
    chunks_removed: int  # in a, not in b
    chunks_shared: int
    config: dict[str, tuple[Any, Any]]  # key -> (a, b), where they differ


def _manifest(session: Session, row: KBVersion) -> dict[str, DocumentRevision]:
    return {
        r.source: r
        for r in session.scalars(
            select(DocumentRevision)
            .join(VersionDocument, VersionDocument.revision_id == DocumentRevision.id)
            .where(VersionDocument.version_id == row.id)
        )
    }


def diff(session: Session, kb: KnowledgeBase, a: int, b: int) -> VersionDiff:
    """What changed from version a to version b."""
    row_a, row_b = get_version(session, kb, a), get_version(session, kb, b)
    docs_a, docs_b = _manifest(session, row_a), _manifest(session, row_b)
    changes = []
    for source in sorted(docs_a.keys() | docs_b.keys()):
        before, after = docs_a.get(source), docs_b.get(source)
        if before is not None and after is not None and before.id == after.id:
            continue
        change: Literal["added", "removed", "changed"] = (
            "added" if before is None else "removed" if after is None else "changed"
        )
        changes.append(
            DocumentChange(source, change, before.n_chunks if before else 0, after.n_chunks if after else 0)
        )
    ids_a = set(session.scalars(version_chunk_ids(row_a.id)))
    ids_b = set(session.scalars(version_chunk_ids(row_b.id)))
    config_a, config_b = row_a.config or {}, row_b.config or {}
    config = {
        key: (config_a.get(key), config_b.get(key))
        for key in sorted(config_a.keys() | config_b.keys())
        if config_a.get(key) != config_b.get(key)
    }
    return VersionDiff(a, b, changes, len(ids_b - ids_a), len(ids_a - ids_b), len(ids_a & ids_b), config)


@dataclass
class PruneResult:
    versions: list[int] = field(default_factory=list)  # version numbers deleted
    revisions: int = 0
    chunk_ids: list[str] = field(default_factory=list)  # chunk rows deleted (their vectors go too)


def prune(session: Session, kb: KnowledgeBase, keep: int) -> PruneResult:
    """Keep the newest `keep` versions and the published one; delete the others, then the
    revisions and chunks no retained version (nor the working state) lists."""
    if keep < 1:
        raise VersionError(f"keep must be at least 1, got {keep}")
    rows = list_versions(session, kb)
    kept = {row.version for row in rows[:keep]}
    if kb.published_version is not None:
        kept.add(kb.published_version)
    gone = [row for row in rows if row.version not in kept]
    result = PruneResult(versions=sorted(row.version for row in gone))
    for row in gone:
        session.delete(row)  # its manifest rows go with it (ON DELETE CASCADE)
    session.flush()
    listed = select(VersionDocument.revision_id)
    current = select(Document.revision_id).where(Document.kb_id == kb.id, Document.revision_id.is_not(None))
    unused = list(
        session.scalars(
            select(DocumentRevision.id).where(
                DocumentRevision.kb_id == kb.id,
                DocumentRevision.id.not_in(listed),
                DocumentRevision.id.not_in(current),
            )
        )
    )
    if unused:
        session.execute(delete(RevisionChunk).where(RevisionChunk.revision_id.in_(unused)))
        session.execute(delete(DocumentRevision).where(DocumentRevision.id.in_(unused)))
    result.revisions = len(unused)
    # Chunks no revision lists; chunks staged by a run that has not recorded its version yet
    # are listed by their document's current revision, so they stay.
    orphans = list(
        session.scalars(
            select(Chunk.id).where(Chunk.kb_id == kb.id, Chunk.id.not_in(select(RevisionChunk.chunk_id)))
        )
    )
    for start in range(0, len(orphans), 500):
        session.execute(delete(Chunk).where(Chunk.id.in_(orphans[start : start + 500])))
    result.chunk_ids = orphans
    return result


# -- trash ----------------------------------------------------------------------------------------


def trash_placeholder(kb_id: int) -> str:
    """The name a trashed knowledge base holds, freeing its own: a control character no API
    name can contain, so it never collides with a real one."""
    return f"\x1ftrash\x1f{kb_id}"


def trash(session: Session, kb: KnowledgeBase) -> None:
    kb.trashed_name = kb.name
    kb.name = trash_placeholder(kb.id)
    kb.deleted_at = utcnow()


def list_trash(session: Session, tenant: str | None = None) -> list[KnowledgeBase]:
    """Trashed knowledge bases, most recently deleted first."""
    query = select(KnowledgeBase).where(KnowledgeBase.deleted_at.is_not(None))
    if tenant is not None:
        query = query.where(KnowledgeBase.tenant == tenant)
    return list(session.scalars(query.order_by(KnowledgeBase.deleted_at.desc(), KnowledgeBase.id.desc())))


def purge_after(kb: KnowledgeBase, days: float) -> datetime:
    assert kb.deleted_at is not None
    return _aware(kb.deleted_at) + timedelta(days=days)


def expired(session: Session, days: float, now: datetime | None = None) -> list[KnowledgeBase]:
    now = now or utcnow()
    return [kb for kb in list_trash(session) if purge_after(kb, days) <= now]


def find_trashed(session: Session, name: str, tenant: str | None = None) -> KnowledgeBase:
    """The most recently trashed knowledge base that was called `name`."""
    for kb in list_trash(session, tenant):
        if kb.trashed_name == name:
            return kb
    raise NotInTrash(name)


class NotInTrash(NotFound, LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no knowledge base {name!r} in the trash (`kefu kb trash` lists it)")
        self.name = name


class NameTaken(Conflict, ValueError):
    pass


def restore(session: Session, kb: KnowledgeBase, *, as_name: str | None = None) -> KnowledgeBase:
    """Take a knowledge base out of the trash under its name (or `as_name`)."""
    name = as_name or kb.trashed_name or ""
    if session.scalar(select(KnowledgeBase.id).where(KnowledgeBase.name == name)) is not None:
        raise NameTaken(f"a knowledge base named {name!r} exists; restore this one under another name")
    kb.name, kb.trashed_name, kb.deleted_at = name, None, None
    return kb
