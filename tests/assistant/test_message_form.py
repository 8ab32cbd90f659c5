"""A question typed the quick way (lower case, no question mark) is read as written out, and
traditional characters as simplified ones (assistant.message_form)."""

from __future__ import annotations

import pytest

from assistant.answerability import counted_thing
from assistant.message_form import readable
from assistant.pipeline import AnswerPipeline, AnswerRequest
from ingest.config import Settings


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("how much is the roaming day pass for australia", "How much is the roaming day pass for australia?"),
        (
            "my teenage son wants his own line. can he sign up himself",
            "My teenage son wants his own line. Can he sign up himself?",
        ),
        ("what about for members", "What about for members?"),
        ("我们公司每月寄600件左右，月结能打几折", "我们公司每月寄600件左右，月结能打几折？"),
        ("可以到你们的仓库拿吗", "可以到你们的仓库拿吗？"),
        ("手機遺失後，暫停號碼最長多少天免費", "手机遗失后，暂停号码最长多少天免费？"),
        # Written out already, or no question: as typed.
        ("Do you ship to Malaysia?", "Do you ship to Malaysia?"),
        ("Can I pay with PayPal", "Can I pay with PayPal?"),
        ("i lost my phone", "I lost my phone"),
        ("I want to talk to a human", "I want to talk to a human"),
        ("我要转人工", "我要转人工"),
        ("thanks!", "Thanks!"),
        ("  ", ""),
    ],
)
def test_a_quickly_typed_question_is_read_written_out(typed: str, read: str) -> None:
    assert readable(typed) == read


def test_a_last_ask_without_its_question_mark_still_asks() -> None:
    """ "……兑换机票？台北飞东京的兑换机票要多少里程" (no final ？): the miles it counts were not read
    as asked, and a near miss on redeeming miles was answered with the routes flown."""
    typed = "莲花会的里程怎么兑换机票？台北飞东京的兑换机票要多少里程"
    assert counted_thing(typed) is None
    assert counted_thing(readable(typed)) == "里程"


@pytest.fixture(scope="module")
def pipeline(sample_settings: Settings) -> AnswerPipeline:
    return AnswerPipeline(sample_settings)


@pytest.mark.slow
def test_a_quickly_typed_question_gets_the_written_out_ones_answer(pipeline: AnswerPipeline) -> None:
    for written, typed in [
        ("退货需要多长时间？", "退貨需要多長時間"),
        ("How long do I have to return an item?", "how long do i have to return an item"),
    ]:
        expected = pipeline.run(AnswerRequest(written, kb="sample", record=False))
        result = pipeline.run(AnswerRequest(typed, kb="sample", record=False))
        assert result.mode == expected.mode != "refused"
        assert result.text == expected.text
