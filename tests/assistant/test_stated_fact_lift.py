"""A refusal just below the answerability threshold is lifted when the extractive answer states the
kind of fact the question asks for, of the thing it names (Answerer.decide, issue 12). Run on the
sample help centre with parameters whose threshold no question reaches, so that every answer here
comes through the lift or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answerability import DEFAULT_PARAMS_PATH
from assistant.pipeline import AnswerPipeline, AnswerRequest
from ingest.config import Settings

SAMPLE_KB = "sample"  # built by the sample_settings fixture (conftest.py)


def with_params(settings: Settings, path: Path, **changes: float | None) -> Settings:
    params = json.loads(DEFAULT_PARAMS_PATH.read_text(encoding="utf-8")) | changes
    path.write_text(json.dumps(params), encoding="utf-8")
    return settings.model_copy(update={"answerability_params": path})


@pytest.fixture(scope="module")
def lifting(sample_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> AnswerPipeline:
    path = tmp_path_factory.mktemp("params") / "lift-all.json"
    return AnswerPipeline(with_params(sample_settings, path, threshold=1.01, stated_fact_floor=0.0))


def ask(pipeline: AnswerPipeline, question: str) -> tuple[str, str, str]:
    result = pipeline.run(AnswerRequest(question, kb=SAMPLE_KB, record=False))
    verdict = result.verdicts.answerability
    return result.mode, result.text, verdict.reason if verdict else ""


@pytest.mark.slow
def test_a_question_for_an_amount_is_answered_by_the_row_stating_it(lifting: AnswerPipeline) -> None:
    mode, text, reason = ask(lifting, "How much does the Lumo Hub LH-300 cost?")
    assert mode == "extractive", text
    assert "129" in text
    assert "the passages state the kind of fact asked for" in reason


@pytest.mark.slow
def test_a_thing_the_passages_do_not_hold_stays_refused(lifting: AnswerPipeline) -> None:
    mode, text, _ = ask(lifting, "How much does the Lumo Hub LH-900 cost?")
    assert mode == "refused", text


@pytest.mark.slow
def test_a_question_asking_no_kind_of_fact_stays_refused(lifting: AnswerPipeline) -> None:
    mode, text, _ = ask(lifting, "Can I return an opened item?")
    assert mode == "refused", text


@pytest.mark.slow
def test_below_the_floor_nothing_is_lifted(sample_settings: Settings, tmp_path: Path) -> None:
    pipeline = AnswerPipeline(
        with_params(sample_settings, tmp_path / "no-lift.json", threshold=1.01, stated_fact_floor=1.0)
    )
    mode, text, _ = ask(pipeline, "How much does the Lumo Hub LH-300 cost?")
    assert mode == "refused", text
