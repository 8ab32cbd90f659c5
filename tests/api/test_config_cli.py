"""`kefu config`: the effective settings with secrets masked, --changed, --json, --markdown (README's
table), and a clear usage error for invalid settings."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from api.cli import app
from api.cli.exits import ExitCode
from ingest.config import get_settings
from ingest.config_view import markdown_table


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("KEFU_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def kefu(*args: str, **env: str) -> Result:
    get_settings.cache_clear()
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **env})


DEPLOYMENT = {
    "KEFU_DATABASE_URL": "postgresql+psycopg://kefu:hunter2@db:5432/kefu",
    "KEFU_GUARD_PII_SALT": "hunter2",
    "KEFU_ESCALATION_MAX_FAILURES": "4",
}


def test_config_shows_effective_values_with_secrets_masked() -> None:
    result = kefu("config", **DEPLOYMENT)
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output
    assert "postgresql+psycopg://kefu:****@db:5432/kefu" in result.output
    assert "KEFU_ESCALATION_MAX_FAILURES" in result.output and "KEFU_LLM_MODEL" in result.output


def test_config_json_and_changed() -> None:
    result = kefu("config", "--json", "--changed", **DEPLOYMENT)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "KEFU_DATABASE_URL": "postgresql+psycopg://kefu:****@db:5432/kefu",
        "KEFU_GUARD_PII_SALT": "****",
        "KEFU_ESCALATION_MAX_FAILURES": 4,
    }


def test_config_markdown_is_readmes_table() -> None:
    result = kefu("config", "--markdown")
    assert result.exit_code == 0 and result.stdout.strip() == markdown_table()


def test_invalid_settings_are_a_usage_error() -> None:
    result = kefu("config", KEFU_GUARD_MAX_INPUT_CHARS="many")
    assert result.exit_code == ExitCode.USAGE
    assert "max_input_chars" in result.output
