"""The page retrieval ranks first gets its next-best section among the passages (issue 12): the
section that matched a question best is not always the one that answers it ("那最多能在柜子里放
几天？" matched the locker page's free-storage section; its storage-period section says 4天)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.answering import with_second_section
from assistant.pipeline import AnswerPipeline, AnswerRequest
from assistant.types import Passage
from ingest.config import Settings


def _passage(chunk_id: str, doc_id: str) -> Passage:
    return Passage(chunk_id=chunk_id, doc_id=doc_id, title=doc_id, text=chunk_id, n=0)


WHOLE = [
    _passage("lockers-free", "lockers"),
    *(_passage(f"{d}-1", d) for d in ("rates", "cod", "faq", "shipping")),
]


def test_the_first_pages_second_section_goes_second() -> None:
    of_first_page = [WHOLE[0], _passage("lockers-period", "lockers"), _passage("lockers-sizes", "lockers")]
    found = with_second_section(WHOLE, of_first_page, 5)
    assert [p.chunk_id for p in found] == ["lockers-free", "lockers-period", "rates-1", "cod-1", "faq-1"]
    assert [p.n for p in found] == [1, 2, 3, 4, 5]


def test_a_section_found_lower_moves_up_and_a_page_of_one_section_changes_nothing() -> None:
    lower = [*WHOLE[:3], _passage("lockers-period", "lockers"), WHOLE[3]]
    found = with_second_section(lower, [WHOLE[0], lower[3]], 5)
    assert [p.chunk_id for p in found] == ["lockers-free", "lockers-period", "rates-1", "cod-1", "faq-1"]
    assert with_second_section(WHOLE, [WHOLE[0]], 5) == WHOLE
    assert with_second_section([], [], 5) == []
    # Its own best section is the first passage already: not put in twice.
    assert [p.chunk_id for p in with_second_section(WHOLE, [replace(WHOLE[0], n=7)], 5)] == [
        p.chunk_id for p in WHOLE
    ]


@pytest.fixture(scope="module")
def pipeline(sample_settings: Settings) -> AnswerPipeline:
    return AnswerPipeline(sample_settings)


@pytest.mark.slow
def test_the_second_section_pushes_no_other_page_down(pipeline: AnswerPipeline) -> None:
    """ "退货需要多长时间？" finds the returns page's refund-time section first and its return-window
    section second; the return-window FAQ, third, had been ranked as the third page and the refund
    time (3个工作日) quoted. A page's sections rank as one page."""
    result = pipeline.run(AnswerRequest("退货需要多长时间？", kb="sample", record=False))
    assert "30天" in result.text.replace(" ", ""), result.text
    assert "3个工作日" not in result.text.replace(" ", ""), result.text
