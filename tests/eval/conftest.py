"""Fixtures of the eval tests; the data set and its hand-computed values are in eval_fixture.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from eval_fixture import write_dataset


@pytest.fixture
def dataset_dir(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "tiny")
