"""Stored runs round-trip on SQLite and PostgreSQL; the gate fails regressions and skipped checks,
and only them."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path

import pytest
from eval_fixture import QUESTIONS, fixed_answer

from eval.contract import AnswerFn, AnswerRecord
from eval.gate import CheckOutcome, GateResult, Tolerance, gate
from eval.kb import KBRef
from eval.report import write_reports
from eval.runner import RunResult, RunSpec, finite, run
from eval.scoring import summarise
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


def _answer_run(dataset_dir: Path, settings: Settings, answer: AnswerFn) -> RunResult:
    return run(
        RunSpec(dataset=str(dataset_dir), arm="changed"),
        settings,
        arm=lambda ctx: answer,
        kb_builder=lambda d, s, p: KBRef("fixture-kb", 2),
    )


def _outcome(result: GateResult, metric: str) -> CheckOutcome:
    return next(o for o in result.outcomes if o.metric == metric)


def test_default_checks_pass_an_equal_candidate_and_say_what_they_checked(
    dataset_dir: Path, settings: Settings
) -> None:
    baseline, candidate = _runs(dataset_dir, settings)
    result = gate(baseline, candidate)
    assert result.ok and result.failures == [] and result.skipped == []
    assert result.checked == ["correct", "false_refusal_rate", "refusal_recall", "latency_p95_ms"]
    # The fixture set has no key facts: wrong facts cannot apply, which is not a skip.
    assert _outcome(result, "wrong_fact_rate").status == "not applicable"
    assert _outcome(result, "latency_p95_ms").baseline == 575.0
    assert _outcome(result, "latency_p95_ms").allowed == 1000.0  # 20 % of 575 ms is less


def test_a_candidate_that_answers_the_same_questions_again_passes(
    dataset_dir: Path, settings: Settings
) -> None:
    baseline = fixture_run(dataset_dir, settings)
    # A real second run: the same answers, each a little slower (well within the tolerance).
    slower = _answer_run(
        dataset_dir,
        settings,
        lambda q, h: replace(fixed_answer(q, h), latency_ms=fixed_answer(q, h).latency_ms + 300),
    )
    result = gate(baseline, slower)
    assert result.ok, result.failures
    assert _outcome(result, "latency_p95_ms").candidate == 875.0


def test_more_false_refusals_are_refused(dataset_dir: Path, settings: Settings) -> None:
    baseline = fixture_run(dataset_dir, settings)

    def refuses_q1(question: str, history: list[dict[str, str]]) -> AnswerRecord:
        record = fixed_answer(question, history)
        if question == QUESTIONS[0]["question"]:
            return replace(
                record, answer="Sorry, I could not find that.", mode="refused", refused=True, citations=[]
            )
        return record

    result = gate(baseline, _answer_run(dataset_dir, settings, refuses_q1))
    assert not result.ok
    failed = {f.metric: f for f in result.failures}
    assert failed["false_refusal_rate"].baseline == pytest.approx(0.2)
    assert failed["false_refusal_rate"].candidate == pytest.approx(0.4)
    assert "correct" in failed  # q1 was right before


def test_false_refusals_13_points_up_or_p95_latency_16_s_up_fail_the_default_gate(
    dataset_dir: Path, settings: Settings
) -> None:
    baseline, candidate = _runs(dataset_dir, settings)
    candidate.summary["metrics"]["false_refusal_rate"] += 0.13
    result = gate(baseline, candidate)
    assert [f.metric for f in result.failures] == ["false_refusal_rate"]
    assert "worse by 0.13" in result.failures[0].reason

    baseline, candidate = _runs(dataset_dir, settings)
    for run_result, p95 in ((baseline, 10_000.0), (candidate, 26_000.0)):
        run_result.summary["metrics"]["latency_p95_ms"] = p95
    result = gate(baseline, candidate)
    assert [f.metric for f in result.failures] == ["latency_p95_ms"]
    assert result.failures[0].allowed == 2000.0  # 20 % of 10 s beats the 1 s floor
    candidate.summary["metrics"]["latency_p95_ms"] = 11_900.0
    assert gate(baseline, candidate).ok


def test_latency_16_s_up_in_a_real_run_fails(dataset_dir: Path, settings: Settings) -> None:
    baseline = fixture_run(dataset_dir, settings)
    slow = _answer_run(
        dataset_dir,
        settings,
        lambda q, h: replace(fixed_answer(q, h), latency_ms=fixed_answer(q, h).latency_ms + 16_000),
    )
    result = gate(baseline, slow)
    assert [f.metric for f in result.failures] == ["latency_p95_ms"]
    assert _outcome(result, "latency_p95_ms").candidate == 16_575.0


def test_a_skipped_check_fails_unless_allowed(dataset_dir: Path, settings: Settings) -> None:
    baseline = fixture_run(dataset_dir, settings)

    def no_unanswerable(run_result: RunResult) -> RunResult:
        """The same run without its unanswerable question, re-scored: refusal recall is None."""
        out = copy.deepcopy(run_result)
        out.rows = [r for r in out.rows if r["answerable"]]
        out.summary = summarise(out.rows)
        return out

    baseline, candidate = no_unanswerable(baseline), no_unanswerable(baseline)
    assert candidate.summary["metrics"]["refusal_recall"] is None
    result = gate(baseline, candidate)
    assert not result.ok and result.skipped == ["refusal_recall"]
    assert [f.metric for f in result.failures] == ["refusal_recall"]
    assert "no unanswerable question" in result.failures[0].reason
    assert "--allow-skipped refusal_recall" in result.failures[0].reason
    allowed = gate(baseline, candidate, allow_skipped=["refusal_recall"])
    assert allowed.ok and allowed.skipped == ["refusal_recall"]
    assert _outcome(allowed, "refusal_recall").skip_allowed
    with pytest.raises(ValueError, match="names no check"):
        gate(baseline, candidate, allow_skipped=["faithfulness"])
    # A metric missing from one run is a skip too, never a silent pass.
    del candidate.summary["metrics"]["correct"]
    result = gate(baseline, candidate, allow_skipped=["refusal_recall"])
    assert [f.metric for f in result.failures] == ["correct"]
    assert "not computed in the candidate run" in result.failures[0].reason


def test_wrong_facts_are_checked_when_the_suite_has_key_facts(dataset_dir: Path, settings: Settings) -> None:
    baseline, candidate = _runs(dataset_dir, settings)
    for run_result, rate in ((baseline, 0.05), (candidate, 0.10)):
        run_result.summary["metrics"]["wrong_fact_rate"] = rate
    result = gate(baseline, candidate)
    assert [f.metric for f in result.failures] == ["wrong_fact_rate"]
    candidate.summary["metrics"]["wrong_fact_rate"] = None  # nothing answered: cannot be computed
    assert gate(baseline, candidate).skipped == ["wrong_fact_rate"]
    assert not gate(baseline, candidate).ok


def test_max_drop_changes_and_adds_checks(dataset_dir: Path, settings: Settings) -> None:
    baseline, candidate = _runs(dataset_dir, settings)
    candidate.summary["metrics"]["mrr@10"] -= 0.02  # exactly the allowed drop
    candidate.summary["metrics"]["hit@5"] += 0.5  # improvements never fail
    result = gate(baseline, candidate, {"mrr@10": 0.02, "hit@5": 0.0})
    assert result.ok and result.checked[-2:] == ["mrr@10", "hit@5"]
    only = gate(baseline, candidate, {"mrr@10": 0.02}, defaults=False)
    assert only.ok and only.checked == ["mrr@10"]
    candidate.summary["metrics"]["latency_p95_ms"] = 800.0  # baseline 575: lower is better
    candidate.summary["metrics"]["hit@5"] = 0.97  # baseline 1.0
    result = gate(baseline, candidate, {"hit@5": 0.02, "latency_p95_ms": 200.0})
    assert {f.metric for f in result.failures} == {"hit@5", "latency_p95_ms"}
    assert gate(baseline, candidate, {"latency_p95_ms": Tolerance(relative=0.5)}).ok


def test_gate_missing_metrics_and_other_questions(dataset_dir: Path, settings: Settings) -> None:
    baseline, candidate = _runs(dataset_dir, settings)
    del candidate.summary["metrics"]["refusal_f1"]
    result = gate(baseline, candidate, {"refusal_f1": 0.1})
    assert [f.metric for f in result.failures] == ["refusal_f1"] and result.skipped == ["refusal_f1"]
    assert not gate(baseline, candidate, {"faithfulness": 0.1}).ok  # asked for, in neither run
    candidate.dataset["selection_hash"] = "other"
    result = gate(baseline, candidate)
    assert [f.metric for f in result.failures] == ["questions"]
    assert gate(baseline, candidate, require_same_questions=False).ok
