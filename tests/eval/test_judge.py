"""LLM-judged metrics: a judge that cannot be reached is recorded per question, never fatal."""

from __future__ import annotations

from pathlib import Path

from eval_fixture import fixed_answer

from eval.judge import JUDGE_METRICS
from eval.kb import KBRef
from eval.runner import RunSpec, run
from ingest.config import Settings


def test_unreachable_judge_is_recorded_per_question(dataset_dir: Path, settings: Settings) -> None:
    # Port 9 (discard) on loopback: nothing listens, every judge call fails to connect.
    spec = RunSpec(dataset=str(dataset_dir), judge="judge-model", judge_base_url="http://127.0.0.1:9/v1")
    result = run(spec, settings, arm=lambda ctx: fixed_answer, kb_builder=lambda d, s, p: KBRef("k", 1))
    assert result.judge == "judge-model @ http://127.0.0.1:9/v1"
    rows = {r["id"]: r for r in result.rows}
    # Answered questions with passages and a reference get all five metrics; refusals none.
    for qid in ("q1", "q2", "q3", "q5"):
        assert rows[qid]["judge_calls"] == 5
        assert set(rows[qid]["judge_errors"]) == set(JUDGE_METRICS)
        assert all("Connection" in message for message in rows[qid]["judge_errors"].values())
        assert all(rows[qid]["scores"][name] is None for name in JUDGE_METRICS)
    for qid in ("q4", "q6"):
        assert rows[qid]["judge_calls"] == 0 and rows[qid]["judge_errors"] == {}
    metrics = result.summary["metrics"]
    assert metrics["judge_error_rate"] == 1.0
    assert all(metrics[name] is None for name in JUDGE_METRICS)
    assert metrics["hit@1"] == 0.6  # the rest of the run is unaffected
