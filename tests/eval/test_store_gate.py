"""Stored runs round-trip on SQLite and PostgreSQL; the gate fails regressions and only them."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from eval_fixture import fixed_answer

from eval.gate import gate
from eval.kb import KBRef
from eval.report import write_reports
from eval.runner import RunResult, RunSpec, finite, run
from eval.store import RunNotFound, RunStore
from ingest.config import Settings
from ingest.db import Database, open_database


def fixture_run(dataset_dir: Path, settings: Settings) -> RunResult:
    return run(
        RunSpec(dataset=str(dataset_dir), arm="fixed"),
        settings,
        arm=lambda ctx: fixed_answer,
        kb_builder=lambda d, s, p: KBRef("fixture-kb", 1),
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, settings: Settings) -> Database:
    if request.param == "sqlite":
        return open_database(settings.sql_url)
    return open_database(request.getfixturevalue("postgres_url"))


def test_store_round_trip(database: Database, dataset_dir: Path, settings: Settings, tmp_path: Path) -> None:
    store = RunStore(database)
    result = fixture_run(dataset_dir, settings)
    result.summary["metrics"]["nan_metric"] = float("nan")  # must not break JSON columns
    run_id = store.save(result)
    assert result.id == run_id
    paths = write_reports(result, tmp_path / f"run-{run_id}")
    store.set_report_paths(run_id, paths)

    loaded = store.load(run_id)
    assert loaded.id == run_id
    assert loaded.summary["metrics"]["nan_metric"] is None
    assert loaded.summary == finite(result.summary)
    assert loaded.rows == result.rows
    assert (loaded.dataset, loaded.kb, loaded.config, loaded.spec) == (
        result.dataset,
        result.kb,
        result.config,
        result.spec,
    )
    assert loaded.report_paths == paths
    assert loaded.created_at[:10] == result.created_at[:10]

    second = store.save(copy.deepcopy(result))
    assert store.latest_id() == second and store.latest_id(exclude=second) == run_id
    listed = store.list(limit=5)
    assert [r.id for r in listed] == [second, run_id] and listed[0].rows == []
    assert [r.id for r in store.list(dataset="other")] == []
    assert store.resolve("latest").id == second
    assert store.resolve(str(run_id)).rows == result.rows
    assert store.resolve(paths["json"]).summary == loaded.summary
    with pytest.raises(RunNotFound):
        store.resolve("nonsense")
    store.delete(second)
    with pytest.raises(RunNotFound):
        store.load(second)


def _runs(dataset_dir: Path, settings: Settings) -> tuple[RunResult, RunResult]:
    baseline = fixture_run(dataset_dir, settings)
    return baseline, copy.deepcopy(baseline)


def test_gate_passes_equal_runs_and_drops_within_limits(dataset_dir: Path, settings: Settings) -> None:
    baseline, candidate = _runs(dataset_dir, settings)
    assert gate(baseline, candidate).ok
    candidate.summary["metrics"]["mrr@10"] -= 0.02  # exactly the allowed drop
    candidate.summary["metrics"]["hit@5"] += 0.5  # improvements never fail
    result = gate(baseline, candidate, {"mrr@10": 0.02, "hit@5": 0.0})
    assert result.ok and result.checked == ["mrr@10", "hit@5"]


def test_gate_fails_on_regressions(dataset_dir: Path, settings: Settings) -> None:
    baseline, candidate = _runs(dataset_dir, settings)
    candidate.summary["metrics"]["hit@5"] = 0.97  # baseline 1.0
    candidate.summary["metrics"]["latency_p95_ms"] = 800.0  # baseline 575: lower is better
    result = gate(baseline, candidate, {"hit@5": 0.02, "latency_p95_ms": 200.0, "mrr@10": 0.0})
    assert not result.ok
    assert {f.metric for f in result.failures} == {"hit@5", "latency_p95_ms"}
    assert gate(baseline, candidate, {"latency_p95_ms": 250.0}).ok


def test_gate_missing_metrics_and_other_questions(dataset_dir: Path, settings: Settings) -> None:
    baseline, candidate = _runs(dataset_dir, settings)
    del candidate.summary["metrics"]["refusal_f1"]
    assert [f.reason for f in gate(baseline, candidate, {"refusal_f1": 0.1}).failures] == [
        "metric missing in the candidate run"
    ]
    assert not gate(baseline, candidate, {"faithfulness": 0.1}).ok  # asked for, in neither run
    # A default metric absent from both runs (no judge, say) is skipped, not failed.
    del baseline.summary["metrics"]["refusal_f1"]
    assert gate(baseline, candidate).ok
    candidate.dataset["selection_hash"] = "other"
    result = gate(baseline, candidate)
    assert [f.metric for f in result.failures] == ["questions"]
    assert gate(baseline, candidate, require_same_questions=False).ok
