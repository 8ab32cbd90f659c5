"""Where uploaded files live: uploads/<kb>/<name> holds the copy each document was ingested from,
so a re-ingest can parse it again. A new upload is staged in uploads/<kb>/.incoming/<id>/ and moved
into place only once its document holds that file's content: a file that fails to parse never
overwrites the good copy of its name, and leaves nothing behind."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from ingest.db import Database
from ingest.models import Document, KnowledgeBase
from ingest.registry import document_id

STAGING = ".incoming"  # a dot folder: never taken for an uploaded document


def new_staging_folder(uploads_dir: Path, kb: str) -> Path:
    folder = uploads_dir / kb / STAGING / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


def store(folder: Path, name: str, content: BinaryIO) -> Path:
    """Write through a temporary file and rename, so a half-written file never replaces one."""
    folder.mkdir(parents=True, exist_ok=True)
    content.seek(0)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", delete=False) as tmp:
        shutil.copyfileobj(content, tmp)
    target = folder / name
    os.replace(tmp.name, target)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def settle_staged(db: Database, uploads_dir: Path, kb: str, staged: list[Path]) -> None:
    """Move each staged file whose document now holds its content into uploads/<kb>/; delete the
    others (they failed to ingest, or the job stopped before them), then the staging folders."""
    hashes: dict[str, str | None] = {}
    with db.session() as session:
        kb_id = session.scalar(select(KnowledgeBase.id).where(KnowledgeBase.name == kb))
        if kb_id is not None:  # else the knowledge base was deleted meanwhile: nothing to keep
            for path in staged:
                hashes[path.name] = session.scalar(
                    select(Document.content_hash).where(Document.id == document_id(kb_id, path.name))
                )
    for path in staged:
        if not path.is_file():
            continue
        if hashes.get(path.name) == _sha256(path):
            os.replace(path, uploads_dir / kb / path.name)
        else:
            path.unlink()
    discard_staged(staged)


def discard_staged(staged: list[Path]) -> None:
    """Remove staging folders with whatever is left in them."""
    for folder in {path.parent for path in staged}:
        if folder.parent.name == STAGING:  # never anything outside a staging folder
            shutil.rmtree(folder, ignore_errors=True)


TRASH_FOLDER = ".trash"  # inside the uploads folder; no knowledge-base name starts with a dot


def trash_uploads(uploads_dir: Path, kb_name: str, kb_id: int) -> None:
    """Keep a deleted knowledge base's uploaded files with it in the trash (restored with it)."""
    folder = uploads_dir / kb_name
    if folder.is_dir():
        target = uploads_dir / TRASH_FOLDER / str(kb_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        folder.rename(target)
