"""The run loop and the summary, on the fixed answers of conftest.py (values worked out by hand)."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.contract import AnswerRecord
from eval.datasets import load
from eval.kb import KBRef
from eval.ragas_scores import ragas_row_scores
from eval.runner import RunSpec, answer_all, run
from ingest.config import Settings
from eval_fixture import EXPECTED, fixed_answer


def fixture_kb(dataset, settings, progress) -> KBRef:  # type: ignore[no-untyped-def]
    """KB hook for runs whose answers are fixed: nothing to ingest."""
    return KBRef("fixture-kb", 1)


def test_run_summary_matches_hand_computed_values(dataset_dir: Path, settings: Settings) -> None:
    result = run(
        RunSpec(dataset=str(dataset_dir), arm="fixed"),
        settings,
        arm=lambda ctx: fixed_answer,
        kb_builder=fixture_kb,
    )
    metrics = result.summary["metrics"]
    for name, value in EXPECTED.items():
        assert metrics[name] == pytest.approx(value, abs=1e-12), name
    counts = result.summary["counts"]
    assert (counts["questions"], counts["answerable"], counts["unanswerable"], counts["with_history"]) == (
        6,
        5,
        1,
        1,
    )
    assert (counts["refusal_tp"], counts["refusal_fp"], counts["refusal_fn"], counts["refusal_tn"]) == (
        1,
        1,
        0,
        4,
    )
    assert result.summary["modes"] == {"generated": 3, "extractive": 1, "refused": 2}
    assert result.kb == {"name": "fixture-kb", "version": 1, "reused": False, "failed_documents": 0}
    assert result.dataset["questions"] == 6 and result.judge is None
    assert "faithfulness" not in metrics  # LLM-judged metrics only with a judge


def test_rows_keep_everything_per_question(dataset_dir: Path, settings: Settings) -> None:
    result = run(
        RunSpec(dataset=str(dataset_dir), only="answerable", limit=3),
        settings,
        arm=lambda ctx: fixed_answer,
        kb_builder=fixture_kb,
    )
    assert [r["id"] for r in result.rows] == ["q1", "q2", "q3"]
    q2 = result.rows[1]
    assert q2["history"][1]["role"] == "assistant"
    assert [p["doc_id"] for p in q2["passages"]] == ["C", "A", "B"]
    assert q2["scores"]["mrr@10"] == pytest.approx(1 / 3)
    assert q2["refusal_probability"] == 0.2
    q3 = result.rows[2]
    assert q3["scores"]["rouge_score"] is None  # rouge-score cannot tokenise Chinese
    assert q3["scores"]["non_llm_string_similarity"] is not None


def test_ragas_scores_apply_only_where_defined(dataset_dir: Path, settings: Settings) -> None:
    result = run(
        RunSpec(dataset=str(dataset_dir)), settings, arm=lambda ctx: fixed_answer, kb_builder=fixture_kb
    )
    rows = {r["id"]: r for r in result.rows}
    ragas = ("non_llm_context_recall", "id_based_context_recall", "non_llm_string_similarity", "rouge_score")
    assert all(rows["q4"]["scores"][name] is None for name in ragas)  # unanswerable
    assert rows["q6"]["scores"]["non_llm_string_similarity"] is None  # refused: no answer to compare
    assert rows["q6"]["scores"]["id_based_context_recall"] == 1.0  # but retrieval is scored
    # q1 retrieved A's exact text, the gold context: NonLLM recall 1; precision A,B -> verdicts 1,0 -> AP 1
    assert rows["q1"]["scores"]["non_llm_context_recall"] == 1.0
    assert rows["q1"]["scores"]["non_llm_context_precision_with_reference"] == pytest.approx(1.0, abs=1e-9)


def test_ragas_non_llm_metrics_by_hand() -> None:
    row = {
        "question": "q",
        "answerable": True,
        "refused": False,
        "error": None,
        "gold_doc_ids": ["g"],
        "passages": [{"doc_id": "x", "text": "zzzz"}, {"doc_id": "g", "text": "abcx"}],
        "reference": "kitten",
        "answer": "sitting",
    }
    scores = ragas_row_scores(row, {"g": "abcd"})
    # "abcx" vs "abcd": Levenshtein 1 of 4 -> 0.75 > 0.5, so the one reference is recalled
    assert scores["non_llm_context_recall"] == 1.0
    # verdicts per retrieved context: zzzz 0, abcx 1 -> AP = (1/2 * 1) / 1
    assert scores["non_llm_context_precision_with_reference"] == pytest.approx(0.5, abs=1e-9)
    assert scores["id_based_context_recall"] == 1.0
    assert scores["id_based_context_precision"] == 0.5
    # kitten -> sitting: 3 edits over max length 7
    assert scores["non_llm_string_similarity"] == pytest.approx(4 / 7)
    # one word each, no overlap
    assert scores["rouge_score"] == 0.0
    row.update(reference="the cat sat on the mat", answer="the cat sat")
    # LCS 3 tokens: P 3/3, R 3/6 -> F 2/3
    assert ragas_row_scores(row, {"g": "abcd"})["rouge_score"] == pytest.approx(2 / 3)


def test_answer_all_keeps_order_with_workers_and_records_errors(dataset_dir: Path) -> None:
    items = load(dataset_dir).items

    def flaky(question: str, history: list[dict[str, str]]) -> AnswerRecord:
        if question.startswith("Do you sell"):
            raise TimeoutError("LLM took too long")
        return fixed_answer(question, history)

    seen: list[tuple[str, int, int]] = []
    rows = answer_all(items, flaky, workers=3, progress=lambda *event: seen.append(event))
    assert [r["id"] for r in rows] == [i.id for i in items]
    failed = rows[3]
    assert failed["error"] == "TimeoutError: LLM took too long" and failed["mode"] == "error"
    assert "TimeoutError" in failed["traceback"]
    assert all(r["error"] is None for i, r in enumerate(rows) if i != 3)
    assert seen[-1] == ("answer", 6, 6)


def test_errors_count_against_the_run(dataset_dir: Path, settings: Settings) -> None:
    def broken(question: str, history: list[dict[str, str]]) -> AnswerRecord:
        raise RuntimeError("pipeline down")

    result = run(RunSpec(dataset=str(dataset_dir)), settings, arm=lambda ctx: broken, kb_builder=fixture_kb)
    metrics = result.summary["metrics"]
    assert metrics["error_rate"] == 1.0 and metrics["correct"] == 0.0
    assert metrics["hit@5"] is None and metrics["latency_p50_ms"] is None
    assert result.summary["counts"]["errors"] == 6
