"""Fixtures for the analytics tests: the real embedder, and the state store on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import sys

import pytest

from ingest.config import Settings
from ingest.db import Database
from ingest.embedding import Embedder, get_embedder

# The API tests here reuse the app helpers of tests/api (api_fixture.py).
sys.path.insert(0, str(Path(__file__).parent.parent / "api"))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return get_embedder(Settings())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings whose state store is a fresh SQLite file or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path / "kefu-data")
    else:
        url = request.getfixturevalue("postgres_url")
        yield Settings(data_dir=tmp_path / "kefu-data", database_url=url)


@pytest.fixture
def db(store_settings: Settings) -> Iterator[Database]:
    database = Database(store_settings.sql_url)
    try:
        yield database
    finally:
        database.dispose()
