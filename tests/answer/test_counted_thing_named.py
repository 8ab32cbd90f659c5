"""An answer to "how many X" must name X (issue 12, wrong facts): "莲花会金卡需要多少积分？" was
answered with the gold card's extra bag, a count of something else, once the tier table's row
was read beside the baggage page."""

from __future__ import annotations

import pytest

from assistant.answering import names_counted_thing


@pytest.mark.parametrize(
    ("question", "answer", "named"),
    [
        (
            "莲花会金卡需要多少积分？",
            "莲花会金卡及白金卡会员均可额外免费托运1件不超过23公斤的行李[1]。",
            False,
        ),
        ("莲花会金卡需要多少积分？", "金卡会员须在12个月内累积50,000积分[1]。", True),
        # In translation, both ways.
        ("莲花会金卡需要多少积分？", "Tier: Gold; Qualifying points in 12 months: 50,000 [1].", True),
        ("How many webhooks can I create?", "每个工作区最多可创建20个webhook[1]。", True),
        ("How many bags can I check in?", "您可以免费托运2件行李[1]。", True),
        ("How many bags can I check in?", "您可以免费托运2件，每件不超过23公斤[1]。", False),
        ("How many webhooks can I create?", "You can make 600 API requests per minute [1].", False),
        # A question counting nothing, or a unit, is not checked.
        ("How many days do I have to return an item?", "You can return it within 30 days [1].", True),
        ("How much is the roast goose rice?", "广式烧鹅饭，价格：45元[1]。", True),
    ],
)
def test_an_answer_names_the_thing_its_question_counts(question: str, answer: str, named: bool) -> None:
    assert names_counted_thing(question, answer) is named
