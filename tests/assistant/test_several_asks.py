"""A message asking two things (issue 12, questions that need two pages): each ask is searched
for on its own as well, so the page answering the second ask is read even when the whole message
finds only the first one's; and each ask gets its own sentence, or none."""

from __future__ import annotations

import pytest

from assistant.answering import searched_parts, with_each_part_found
from assistant.pipeline import AnswerPipeline, AnswerRequest
from assistant.types import Passage
from ingest.config import Settings

SAMPLE_KB = "sample"  # built by the sample_settings fixture (conftest.py)


def _passage(chunk_id: str, doc_id: str | None = None, kind: str = "text") -> Passage:
    return Passage(
        chunk_id=chunk_id, doc_id=doc_id or chunk_id, title=chunk_id, text=chunk_id, n=0, kind=kind
    )


def test_a_message_asking_two_things_is_searched_for_each() -> None:
    assert searched_parts("I'm in Singapore. How much is shipping, and how do I return it?") == [
        "I'm in Singapore. How much is shipping",
        "I'm in Singapore. how do I return it?",
    ]
    assert searched_parts("How much is shipping to Singapore?") == []


def test_an_asks_best_passage_joins_only_when_the_first_passages_lack_its_best_two() -> None:
    whole = [_passage(c) for c in ("a", "b", "c", "d", "e")]
    found = with_each_part_found(whole, [[_passage("d"), _passage("a")], [_passage("x"), _passage("y")]], 5)
    # The first ask's second best ("a") is read already; the second ask's best is not.
    assert [p.chunk_id for p in found] == ["a", "x", "b", "c", "d"]
    assert [p.n for p in found] == [1, 2, 3, 4, 5]
    found = with_each_part_found(whole, [[_passage("x")], [_passage("y")]], 5)
    assert [p.chunk_id for p in found] == ["a", "x", "y", "b", "c"]


def test_an_asks_best_section_of_a_page_already_read_joins() -> None:
    """Retrieval keeps one chunk a page: "How much is an extra bed per night, and do you charge for
    a baby cot?" read the children's page's baby-cot section, never its extra-bed section, which
    the first ask's own search found first (its second best, the baby-cot one, is read)."""
    whole = [_passage("cots", "children"), _passage("pets"), _passage("faq"), _passage("d"), _passage("e")]
    found = with_each_part_found(whole, [[_passage("beds", "children"), _passage("cots", "children")]], 5)
    assert [p.chunk_id for p in found] == ["cots", "beds", "pets", "faq", "d"]
    # Not another row of a table read: for "how much data does a day pass give?" a row of another
    # destination is as good as the one read, and would push another ask's passage out.
    rows = [_passage("usa", "roaming", "table"), _passage("plans"), _passage("faq"), _passage("d")]
    found = with_each_part_found(rows, [[_passage("uk", "roaming", "table"), _passage("plans")]], 4)
    assert [p.chunk_id for p in found] == ["usa", "plans", "faq", "d"]


def test_a_section_of_a_page_read_through_a_table_row_joins() -> None:
    """ "Until when can I check in at the counter ..., and when does boarding start?": the check-in
    page was read through its table's counter row; the second ask's best is its boarding section."""
    whole = [_passage("counter", "check-in", "table"), _passage("faq"), _passage("meals", "faq")]
    ask = [_passage("boarding", "check-in"), _passage("faq")]
    found = with_each_part_found(whole, [ask], 3)
    assert [p.chunk_id for p in found] == ["counter", "boarding", "faq"]


@pytest.fixture(scope="module")
def pipeline(sample_settings: Settings) -> AnswerPipeline:
    return AnswerPipeline(sample_settings)


@pytest.mark.slow
def test_each_ask_gets_the_sentence_of_its_own_page(pipeline: AnswerPipeline) -> None:
    """Searched as a whole, this message found the reset steps and the returns page; the
    shipping time was "answered" with the 30-day return period."""
    result = pipeline.run(
        AnswerRequest(
            "How long does standard shipping take, and how do I reset my Lumo Hub?",
            kb=SAMPLE_KB,
            record=False,
        )
    )
    assert result.mode == "extractive", result.text
    assert "3-5 business days" in result.text and "reset button" in result.text
    assert "30 days" not in result.text


@pytest.mark.slow
def test_a_second_ask_naming_its_own_thing_is_not_taken_as_answered_by_the_first(
    pipeline: AnswerPipeline,
) -> None:
    """The warranty's "2-year" is a duration, but the second ask names standard shipping."""
    result = pipeline.run(
        AnswerRequest(
            "How long is the warranty on a Lumo Hub, and how long does standard shipping take?",
            kb=SAMPLE_KB,
            record=False,
        )
    )
    assert "2-year" in result.text and "3-5 business days" in result.text, result.text
