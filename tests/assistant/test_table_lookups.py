"""Table look-ups through the whole answer pipeline (issue 12), on the sample help centre's
product sheet (ingested as one chunk per row, headers kept): the row and the column asked for,
quoted without a draft; a model the sheet does not have gets no other model's price."""

from __future__ import annotations

import pytest

from assistant.pipeline import AnswerPipeline, AnswerRequest
from ingest.config import Settings

SAMPLE_KB = "sample"  # built by the sample_settings fixture (conftest.py)


@pytest.fixture(scope="module")
def pipeline(sample_settings: Settings) -> AnswerPipeline:
    return AnswerPipeline(sample_settings)


@pytest.mark.slow
def test_a_price_question_gets_the_row_and_the_price_column(pipeline: AnswerPipeline) -> None:
    result = pipeline.run(
        AnswerRequest("How much does the Lumo Hub LH-300 cost?", kb=SAMPLE_KB, record=False)
    )
    assert result.mode == "extractive", result.text
    assert "Lumo Hub LH-300, price (USD): 129 [1]." in result.text
    assert "89" not in result.text  # not the LH-200's price


@pytest.mark.slow
def test_a_model_the_sheet_does_not_have_gets_no_price(pipeline: AnswerPipeline) -> None:
    result = pipeline.run(
        AnswerRequest("How much does the Lumo Hub LH-900 cost?", kb=SAMPLE_KB, record=False)
    )
    assert result.mode == "refused", result.text
    assert not any(price in result.text for price in ("129", "89", "59", "99"))
