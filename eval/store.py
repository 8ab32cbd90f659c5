"""Evaluation runs in the SQL state store (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from eval.models import EvalResult, EvalRun
from eval.runner import RunResult, finite
from ingest.db import Database
from ingest.errors import NotFound


class RunNotFound(NotFound, LookupError):
    pass


class RunStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def save(self, run: RunResult) -> int:
        """Stores the run with its rows; sets and returns run.id."""
        with self.db.session() as session:
            row = EvalRun(
                dataset_name=run.dataset["name"],
                dataset_path=run.dataset["path"],
                dataset_hash=run.dataset["hash"],
                selection_hash=run.dataset["selection_hash"],
                arm=run.spec.get("arm", ""),
                kb_name=run.kb["name"],
                kb_version=run.kb["version"],
                judge=run.judge,
                questions=len(run.rows),
                duration_s=run.duration_s,
                spec=finite(run.spec),
                config=finite(run.config),
                dataset=finite(run.dataset),
                kb=finite(run.kb),
                summary=finite(run.summary),
                report_paths=dict(run.report_paths),
            )
            session.add(row)
            session.flush()
            session.add_all(
                EvalResult(run_id=row.id, ordinal=i, question_id=r["id"], row=finite(r))
                for i, r in enumerate(run.rows)
            )
            run.id = row.id
            return row.id

    def set_report_paths(self, run_id: int, paths: dict[str, str]) -> None:
        with self.db.session() as session:
            self._get(session, run_id).report_paths = dict(paths)

    @staticmethod
    def _get(session: Any, run_id: int) -> EvalRun:
        row = session.get(EvalRun, run_id)
        if row is None:
            raise RunNotFound(f"no evaluation run {run_id}")
        return row

    @staticmethod
    def _to_result(row: EvalRun, rows: list[dict[str, Any]]) -> RunResult:
        return RunResult(
            id=row.id,
            created_at=row.created_at.isoformat(timespec="seconds"),
            spec=row.spec,
            config=row.config,
            dataset=row.dataset,
            kb=row.kb,
            judge=row.judge,
            summary=row.summary,
            rows=rows,
            duration_s=row.duration_s,
            report_paths=row.report_paths,
        )

    def load(self, run_id: int, *, with_rows: bool = True) -> RunResult:
        with self.db.session() as session:
            row = self._get(session, run_id)
            rows = [r.row for r in row.results] if with_rows else []
            return self._to_result(row, rows)

    def list(self, *, limit: int = 20, dataset: str | None = None) -> list[RunResult]:
        """Newest first, without per-question rows."""
        query = select(EvalRun).order_by(EvalRun.id.desc()).limit(limit)
        if dataset is not None:
            query = query.where(EvalRun.dataset_name == dataset)
        with self.db.session() as session:
            return [self._to_result(row, []) for row in session.scalars(query)]

    def latest_id(self, *, exclude: int | None = None) -> int:
        query = select(EvalRun.id).order_by(EvalRun.id.desc())
        if exclude is not None:
            query = query.where(EvalRun.id != exclude)
        with self.db.session() as session:
            run_id = session.scalars(query.limit(1)).first()
        if run_id is None:
            raise RunNotFound("no evaluation runs stored yet")
        return run_id

    def delete(self, run_id: int) -> None:
        with self.db.session() as session:
            session.execute(delete(EvalRun).where(EvalRun.id == run_id))

    def resolve(self, ref: str) -> RunResult:
        """A run by id, "latest", or the path of a results JSON file."""
        path = Path(ref)
        if path.suffix == ".json" and path.is_file():
            return RunResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
        if ref == "latest":
            return self.load(self.latest_id())
        try:
            return self.load(int(ref))
        except ValueError:
            raise RunNotFound(f"{ref!r} is neither a run id, 'latest', nor a results .json file") from None
