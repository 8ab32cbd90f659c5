"""Fixtures for the escalation tests: the real embedder, shared once per session."""

from __future__ import annotations

import pytest

from ingest.config import Settings
from ingest.embedding import Embedder, get_embedder


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return get_embedder(Settings())
