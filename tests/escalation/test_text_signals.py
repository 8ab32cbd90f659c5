"""Amounts, the frustration score and question similarity: the signals the rules are built on."""

from __future__ import annotations

import pytest

from assistant.escalation.amounts import find_amounts, parse_zh_numeral
from assistant.escalation.lexicon import is_affirmative, is_substantive
from assistant.escalation.sentiment import FrustrationScorer
from assistant.escalation.similarity import QuestionSimilarity, jaccard
from ingest.embedding import Embedder


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("I paid ¥2,000 for it", 2000.0, "CNY"),
        ("退我2000元", 2000.0, "CNY"),
        ("￥1299", 1299.0, "CNY"),
        ("refund my $350 now", 350.0, "USD"),
        ("USD350", 350.0, "USD"),
        ("HK$1,200", 1200.0, "HKD"),
        ("€1.2k", 1200.0, "EUR"),
        ("it was 20 dollars", 20.0, "USD"),
        ("1.5万元", 15000.0, "CNY"),
        ("两千块钱", 2000.0, "CNY"),
        ("三千五百元", 3500.0, "CNY"),
        ("2k RMB", 2000.0, "CNY"),
    ],
)
def test_amounts(text: str, value: float, currency: str) -> None:
    [amount] = find_amounts(text)
    assert (amount.value, amount.currency) == (value, currency)


def test_numbers_without_currency_are_not_money() -> None:
    assert find_amounts("order 12345 shipped on 2024-05-01, 3 items") == []
    assert [a.value for a in find_amounts("我买了3件，共计1299元，运费15元")] == [1299.0, 15.0]
    assert parse_zh_numeral("两万三千") == 23000.0 and parse_zh_numeral("一二") is None


def test_frustration_cues() -> None:
    scorer = FrustrationScorer()
    assert scorer.run("This is useless").score == 1.0
    assert scorer.run("WHERE IS MY ORDER").cues == ("SHOUTING",)
    assert scorer.run("where is my order!!!").cues == ("!!!",)
    assert scorer.run("垃圾袋有几种尺寸？").score == 0.0  # 垃圾 alone is a product word
    assert scorer.run("USB and HDMI cables?").score == 0.0  # acronyms are not shouting
    assert scorer.run("my parcel is late", ["abuse:profanity"]).cues == ("profanity",)


def test_affirmative_and_substantive() -> None:
    assert is_affirmative("Yes, please!") and is_affirmative("好的，谢谢") and is_affirmative("需要")
    assert not is_affirmative("ok thanks, bye") and not is_affirmative("好的，不用了")
    assert not is_affirmative("可以在包裹里放贺卡吗？")
    assert not is_substantive("转人工") and not is_substantive("I want to talk to a human")
    assert is_substantive("I want to talk to a human about my broken blender") and is_substantive("退货")


def test_question_similarity(embedder: Embedder) -> None:
    assert jaccard("Where is my order?", "where is my order??") == 1.0
    similarity = QuestionSimilarity(embedder, cosine_threshold=0.93, lexical_threshold=0.8)
    repeat = similarity.run("Where is my order?", "where is my order??")
    assert repeat.same and repeat.cosine is None  # decided lexically, no embedding
    paraphrase = similarity.run("Can I cancel my order?", "Is it possible to cancel an order I just placed?")
    assert paraphrase.same and paraphrase.cosine is not None and paraphrase.cosine >= 0.93
    different = similarity.run("How long does a refund take?", "退货运费谁承担？")
    assert not different.same
    without_embedder = QuestionSimilarity(None, cosine_threshold=0.93, lexical_threshold=0.8)
    assert not without_embedder.run(
        "Can I cancel my order?", "Is it possible to cancel an order I just placed?"
    ).same
