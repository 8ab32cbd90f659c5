"""A knowledge base built once per test session from the bundled sample help centre."""

from __future__ import annotations

import pytest

from ingest.config import Settings
from ingest.pipeline import IngestPipeline
from ingest.sample import sample_files

SAMPLE_KB = "sample"


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("sample-kb"),
        llm_threads=1,
        llm_timeout_s=30.0,
        llm_temperature=0.0,
    )
    report = IngestPipeline(settings).ingest_paths(sample_files(), SAMPLE_KB)
    assert not report.failed and report.pending == 0
    return settings
