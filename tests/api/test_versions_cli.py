"""`kefu kb versions | diff | publish | rollback | prune | drop | trash | restore` end to end on a
SQLite data dir, with review before publish (KEFU_AUTO_PUBLISH=false)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from ingest.config import get_settings


def test_kb_version_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KEFU_AUTO_PUBLISH", "false")
    get_settings.cache_clear()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# A\n\nAlpha text here.\n", encoding="utf-8")
    (docs / "b.md").write_text("# B\n\nBeta text.\n", encoding="utf-8")
    runner = CliRunner(env={"COLUMNS": "200"})

    def kefu(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, result.output
        return result.output

    try:
        kefu("ingest", str(docs), "--kb", "k")
        assert "draft" in kefu("kb", "versions", "k") and "published version (none)" in kefu(
            "kb", "versions", "k"
        )
        kefu("kb", "publish", "1", "--kb", "k")
        (docs / "a.md").write_text("# A\n\nAlpha changed.\n", encoding="utf-8")
        kefu("ingest", str(docs), "--kb", "k")
        assert "changed  a.md" in kefu("kb", "diff", "1", "2", "--kb", "k")
        # a conflict (HTTP 409 too): the state forbids it (api/cli/exits.py)
        assert "no earlier published version" in kefu("kb", "rollback", "--kb", "k", code=5)
        assert "no version 7" in kefu(
            "kb", "publish", "7", "--kb", "k", code=3
        )  # not found (api/cli/exits.py)
        kefu("kb", "publish", "2", "--kb", "k")
        assert "version 1 published" in kefu("kb", "rollback", "--kb", "k")
        assert "deleted versions none" in kefu(
            "kb", "prune", "--keep", "1", "--kb", "k"
        )  # 2 newest, 1 published
        kefu("kb", "drop", "k", "--yes")
        assert "k" not in kefu("kb", "list").split()
        assert "k" in kefu("kb", "trash").split()
        assert "restored k" in kefu("kb", "restore", "k")
        assert "published version 1" in kefu("kb", "versions", "k")
        assert "in the trash" in kefu("kb", "restore", "k", code=3)  # nothing called k in the trash now
    finally:
        get_settings.cache_clear()
