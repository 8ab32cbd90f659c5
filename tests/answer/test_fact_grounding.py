"""Fact-level grounding: adversarial drafts that a word-overlap check let through are rejected, and
correct paraphrases that share few words with the passage pass. The first three adversarial cases
are the wrong answers the local model wrote on a fresh help centre (issue 12)."""

from __future__ import annotations

import pytest

from assistant.grounding import GroundingChecker
from assistant.types import Passage
from ingest.config import Settings
from ingest.embedding import get_embedder
from tests.answer.conftest import passage

PASSAGES = [
    passage(
        1,
        "Lumo S2 scooter",
        "The Lumo S2 scooter has a range of 60 km on a full battery. Riders must be at "
        "least 16 years old. The top speed is 25 km/h.",
    ),
    passage(
        2,
        "Account terms",
        "We may suspend an account for 7 days when a payment fails. A suspended account cannot place orders.",
    ),
    passage(3, "Ride prices", "Unlocking a scooter costs €1. Riding then costs €0.25 per minute."),
    passage(
        4,
        "Mobile plans",
        "Plan: Basic; Monthly price: 10 euros; Data: 5 GB\n"
        "Plan: Premium; Monthly price: 30 euros; Data: 50 GB",
        kind="table",
    ),
    passage(5, "Repairs", "You cannot open the device yourself. Repairs are done by our service centre."),
    passage(
        6, "退货政策", "未使用的商品可在购买后30天内退货。退款将在5至7个工作日内退回原支付方式。", lang="zh"
    ),
    passage(7, "Lumo Plus 会员", "Lumo Plus 会员年费168元，可在 App 中开通。", lang="zh"),
]


@pytest.fixture(scope="module")
def checker() -> GroundingChecker:
    return GroundingChecker(embedder=get_embedder(Settings()))


@pytest.mark.parametrize(
    ("question", "draft", "why"),
    [
        (
            "How long is my account suspended?",
            "Your account is suspended for 30 days after the order is shipped [2].",
            "not in passage: 30 days",
        ),
        (
            "How old do I have to be to ride?",
            "You can ride the scooter until you are 16 [1].",
            "bound differs",
        ),
        (
            "Can I open the device myself?",
            "No, you cannot do that yourself. [1] [2] [3] [4] [5]",
            "citation dump",
        ),
        ("What is the one-off fee to unlock a scooter?", "It costs €0.25 per minute [3].", "one-off fee"),
        ("What is the one-off fee to unlock a scooter?", "Unlocking costs €0.25 [3].", "one-off fee"),
        (
            "What is the range of the scooter?",
            "The Lumo S2 can go up to 60 miles on a full battery [1].",
            "not in passage: 60 miles",
        ),
        (
            "How long is my account suspended?",
            "We may suspend an account for 7 hours when a payment fails [2].",
            "not in passage: 7 hours",
        ),
        ("Can I open the device myself?", "You can open the device yourself [5].", "negation differs"),
        ("How much is the Basic plan?", "The Basic plan costs 30 euros a month [4].", "name not where"),
        ("How much does unlocking cost?", "Unlocking a scooter costs €1 [1].", "not in passage: €1"),
        (
            "How long is my account suspended?",
            "The Lumo S2 account is suspended for 7 days [2].",
            "name not in passage: Lumo",
        ),
        ("How fast can the scooter go?", "The top speed is 25 km/h [2].", "not in passage"),
        # The local model's copy of a Chinese passage with the product renamed.
        ("How much is Lumo Plus?", "Lumina 会员年费168元[7]。", "name not in passage: Lumina"),
        # Across languages: an English answer from the Chinese page, a Chinese one from the English.
        (
            "How long do I have to return unused items?",
            "Unused items can be returned within 7 days of purchase [6].",
            "not in passage: 7 days",
        ),
        (
            "How long do I have to return unused items?",
            "Unused items cannot be returned after purchase [6].",
            "negation differs",
        ),
        ("滑板车能跑多远？", "Lumo S2 滑板车充满电可行驶80公里[1]。", "not in passage: 80公里"),
        ("骑车最低年龄是多少？", "16岁以下可以骑行[1]。", "bound differs"),
        ("退货期限是多久？", "未使用的商品可以在购买后七天内退货[6]。", "not in passage: 七天"),
        ("退款要多久？", "退款将在5至7天内退回原支付方式[6]。", "not in passage"),
    ],
)
def test_adversarial_drafts_are_rejected(
    checker: GroundingChecker, question: str, draft: str, why: str
) -> None:
    result = checker.run(draft, PASSAGES, question=question)
    assert not result.ok
    assert any(why in reason for reason in result.reasons), result.reasons


@pytest.mark.parametrize(
    ("question", "draft"),
    [
        ("What is the range of the scooter?", "It can go up to 60 kilometres on one charge [1]."),
        ("How old do I have to be to ride?", "You have to be 16 or older to ride the scooter [1]."),
        ("What is the one-off fee to unlock a scooter?", "Unlocking a scooter costs €1 [3]."),
        ("How much is the Premium plan per month?", "The Premium plan costs 30 euros a month [4]."),
        (
            "How long is my account suspended?",
            "If a payment fails, your account can be suspended for a week [2].",
        ),
        (
            "Can I open the device myself?",
            "No. You can't open the device yourself; our service centre does repairs [5].",
        ),
        ("How much does riding cost?", "After unlocking, each minute of riding costs €0.25 [3]."),
        ("How much data does the Basic plan include?", "The Basic plan includes 5 GB of data [4]."),
        ("退货期限是多久？", "未使用的商品可以在购买后三十天内退货[6]。"),
        ("退款要多久？", "退款会在五到七个工作日内退回您的原支付方式[6]。"),
        ("How much is Lumo Plus?", "Lumo Plus 会员年费168元[7]。"),
        (
            "How long do I have to return unused items?",
            "You can return unused items within thirty days after buying them [6].",
        ),
        (
            "How long do refunds take?",
            "Refunds go back to your original payment method within 5 to 7 working days [6].",
        ),
        ("滑板车能跑多远？", "Lumo S2 滑板车充满电可行驶60公里[1]。"),
        ("骑车最低年龄是多少？", "骑手必须年满16岁[1]。"),
    ],
)
def test_correct_paraphrases_pass(checker: GroundingChecker, question: str, draft: str) -> None:
    result = checker.run(draft, PASSAGES, question=question)
    assert result.ok, result.reasons


def test_without_an_embedder_a_paraphrase_with_few_shared_words_is_not_trusted() -> None:
    result = GroundingChecker().run("It can go up to 60 kilometres on one charge [1].", PASSAGES)
    assert not result.ok


def test_passages_stay_as_given(checker: GroundingChecker) -> None:
    before = [p.text for p in PASSAGES]
    checker.run("Unlocking a scooter costs €1 [3].", PASSAGES)
    assert [p.text for p in PASSAGES] == before


def test_a_fact_from_another_cited_passage_is_not_support_for_this_sentence(
    checker: GroundingChecker,
) -> None:
    # Support comes from the passage the sentence cites, not from any passage given.
    result = checker.run(
        "Riding costs €0.25 per minute [1].", PASSAGES, question="How much does riding cost?"
    )
    assert not result.ok
    assert isinstance(PASSAGES[0], Passage)
