"""Keep a finished run: store it in SQL, then write its JSON and HTML reports under out_dir/run-<id>."""

from __future__ import annotations

from pathlib import Path

from eval.report import write_reports
from eval.runner import RunResult
from eval.store import RunStore
from ingest.config import Settings
from ingest.db import open_database


def run_store(settings: Settings) -> RunStore:
    return RunStore(open_database(settings.sql_url))


def default_out_dir(settings: Settings) -> Path:
    return settings.data_dir / "eval"


def record_run(run: RunResult, settings: Settings, out_dir: Path | None = None) -> RunResult:
    store = run_store(settings)
    run_id = store.save(run)  # first, so the reports carry the run id
    paths = write_reports(run, (out_dir or default_out_dir(settings)) / f"run-{run_id}")
    store.set_report_paths(run_id, paths)
    return run
