from __future__ import annotations

import pytest

from assistant.extractive import ExtractiveAnswerer, NoAnswerInPassages
from assistant.grounding import GroundingChecker
from assistant.types import Passage

extract = ExtractiveAnswerer().run


def test_english_quotes_the_best_matching_sentence_with_its_citation(shop_passages: list[Passage]) -> None:
    answer = extract("How much does express shipping cost?", shop_passages, "en")
    assert answer.text == (
        "According to our help centre:\nExpress shipping costs $12 and arrives the next business day [2]."
    )
    assert answer.citations_used == [2]
    assert (
        GroundingChecker().run(answer.text, shop_passages, question="How much does express shipping cost?").ok
    )


def test_english_adds_close_runner_up_sentences_in_document_order(shop_passages: list[Passage]) -> None:
    answer = extract("How long do refunds and returns take?", shop_passages, "en")
    assert answer.text.startswith(
        "According to our help centre:\nUnused items can be returned within 30 days"
    )
    assert "Refunds are issued to the original payment method within 5-7 business days [1]." in answer.text
    assert answer.citations_used == [1]
    assert GroundingChecker().run(answer.text, shop_passages).ok


def test_chinese_uses_character_bigrams_and_a_chinese_lead(make_passage) -> None:  # type: ignore[no-untyped-def]
    passages = [
        make_passage(
            1,
            "配送说明",
            "标准配送需要3至5个工作日。订单满50元免运费；加急配送费用为12元，次日送达。",
            lang="zh",
        ),
        make_passage(
            2,
            "退货政策",
            "未使用的商品可在购买后30天内退货。退款将在5至7个工作日内退回原支付方式。",
            lang="zh",
        ),
    ]
    answer = extract("退货的期限是多久？", passages, "zh")
    assert answer.text == "根据帮助中心的资料：\n未使用的商品可在购买后30天内退货[2]。"
    assert answer.citations_used == [2]
    assert GroundingChecker().run(answer.text, passages).ok

    shipping = extract("加急配送要多少钱？", passages, "zh")
    assert "加急配送费用为12元，次日送达[1]。" in shipping.text


def test_faq_answer_is_quoted_whole(make_passage) -> None:  # type: ignore[no-untyped-def]
    faq = make_passage(
        1,
        "Account FAQ",
        "Q: How do I reset my password?\nA: Click Forgot password on the sign-in page. We email you a link. "
        "The link expires after 24 hours.",
        kind="faq",
    )
    answer = extract("I forgot my password", [faq], "en")
    assert answer.text == (
        "According to our help centre:\nClick Forgot password on the sign-in page. We email you a link. "
        "The link expires after 24 hours [1]."
    )


def test_chinese_faq_answer_is_quoted_whole(make_passage) -> None:  # type: ignore[no-untyped-def]
    faq = make_passage(
        1,
        "常见问题",
        "问：如何修改收货地址？\n答：订单发货前，在“我的订单”中选择“修改地址”。发货后无法修改。",
        kind="faq",
        lang="zh",
    )
    answer = extract("怎么改收货地址", [faq], "zh")
    assert (
        answer.text == "根据帮助中心的资料：\n订单发货前，在“我的订单”中选择“修改地址”。发货后无法修改[1]。"
    )


def test_without_word_overlap_the_top_passage_opening_is_quoted(make_passage) -> None:  # type: ignore[no-untyped-def]
    # A cross-lingual match: retrieval found it, lexical overlap cannot rank its sentences. The
    # lead-in tells the customer, in their language, that the quote is from the English pages.
    passages = [make_passage(1, "Returns", "Unused items can be returned within 30 days. Bring the receipt.")]
    answer = extract("可以退货吗？", passages, "zh")
    assert answer.text == "帮助中心的英文资料写道：\nUnused items can be returned within 30 days [1]."
    assert answer.citations_used == [1]


def test_headings_are_not_quoted_and_only_top_passages_are_used(make_passage) -> None:  # type: ignore[no-untyped-def]
    passages = [
        make_passage(1, "Guide", "## Returns\nItems can be returned at any store with the receipt."),
        make_passage(2, "Other", "Store opening hours are 9 to 5."),
        make_passage(3, "Other", "Gift cards never expire."),
        make_passage(4, "Returns policy", "Returns are free. Returns need a receipt. Returns take a week."),
    ]
    answer = extract("returns", passages, "en")
    assert (
        answer.text
        == "According to our help centre:\nItems can be returned at any store with the receipt [1]."
    )


def test_no_passages_is_an_error() -> None:
    with pytest.raises(ValueError):
        extract("anything", [], "en")


def test_a_short_second_ask_asks_its_own_kind_of_fact(make_passage) -> None:  # type: ignore[no-untyped-def]
    """ "..., and can she check in online?" asks yes or no, not the first ask's amount: it had
    taken the fare's kind, picked the fare sentence again and been dropped as a repeat."""
    passages = [
        make_passage(
            1,
            "Check-in",
            "Online check-in opens 48 hours before departure. Online check-in is not available for "
            "unaccompanied minors. Please check in at the airport counter.",
        ),
        make_passage(2, "Unaccompanied minors", "The unaccompanied minor fee is NT$2,500 each way."),
    ]
    answer = extract(
        "She is flying alone. What's the unaccompanied minor fee, and can she check in online?",
        passages,
        "en",
    )
    assert "Online check-in is not available for unaccompanied minors [1]." in answer.text
    assert "The unaccompanied minor fee is NT$2,500 each way [2]." in answer.text


def test_a_fact_stated_of_another_thing_does_not_answer_when_a_sentence_names_the_thing(
    make_passage,  # type: ignore[no-untyped-def]
) -> None:
    """Asked until what time gold members may check out late, the passages say it depends on the
    tier (no time) and give a cancellation deadline (a time): that time answered, a wrong fact."""
    passages = [
        make_passage(
            1,
            "入住及退房",
            "翡翠会银卡、金卡及白金卡会员可免费延迟退房，可延迟到几点视会员级别而定。",
            lang="zh",
        ),
        make_passage(
            2, "取消政策", "灵活房价：抵达前一天下午6时前可免费取消；逾期取消收取首晚房费。", lang="zh"
        ),
    ]
    with pytest.raises(NoAnswerInPassages):
        extract("翡翠会金卡会员可以免费延迟退房到几点？", passages, "zh")
    # Asked what the deadline sentence does answer, it still answers.
    answer = extract("灵活房价最晚几点前可以免费取消？", passages, "zh")
    assert "下午6时前可免费取消[2]" in answer.text
