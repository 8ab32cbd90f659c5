"""The answer pipeline judges answerability with the parameters its own settings name
(KEFU_ANSWERABILITY_PARAMS), not those of the process's environment: an eval run or a release
arm given another parameter file must be judged by it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answerability import DEFAULT_PARAMS_PATH
from assistant.pipeline import AnswerPipeline, AnswerRequest
from ingest.config import Settings

SAMPLE_KB = "sample"  # built by the sample_settings fixture (conftest.py)
QUESTION = "How much does the Lumo Hub LH-300 cost?"


def with_threshold(settings: Settings, path: Path, threshold: float) -> Settings:
    params = json.loads(DEFAULT_PARAMS_PATH.read_text(encoding="utf-8")) | {
        "threshold": threshold,
        "full_coverage_floor": threshold,
    }
    path.write_text(json.dumps(params), encoding="utf-8")
    return settings.model_copy(update={"answerability_params": path})


@pytest.mark.slow
def test_the_parameters_named_in_the_settings_decide(sample_settings: Settings, tmp_path: Path) -> None:
    answered = AnswerPipeline(sample_settings).run(AnswerRequest(QUESTION, kb=SAMPLE_KB, record=False))
    assert answered.mode == "extractive", answered.text
    strict = AnswerPipeline(with_threshold(sample_settings, tmp_path / "strict.json", 1.01))
    refused = strict.run(AnswerRequest(QUESTION, kb=SAMPLE_KB, record=False))
    assert refused.mode == "refused", refused.text
