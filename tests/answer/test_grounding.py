from __future__ import annotations

import pytest

from assistant.grounding import GroundingChecker, citations_in, lexical_units, split_sentences
from assistant.types import Passage

check = GroundingChecker().run


def test_supported_paraphrase_with_citation_passes(shop_passages: list[Passage]) -> None:
    result = check("You can return unused items within 30 days of purchase [1].", shop_passages)
    assert result.ok, result.reasons
    assert result.score == pytest.approx(1.0)
    assert result.sentence_scores[0].citations == [1]


def test_two_cited_sentences_and_a_pleasantry_pass(shop_passages: list[Passage]) -> None:
    answer = (
        "Express shipping costs $12 and arrives the next business day [2]. "
        "Refunds go back to the original payment method within 5-7 business days [1]. Thanks!"
    )
    result = check(answer, shop_passages, question="How much is express shipping?")
    assert result.ok, result.reasons
    assert len(result.sentence_scores) == 2  # "Thanks!" makes no claim


def test_answer_without_any_citation_fails(shop_passages: list[Passage]) -> None:
    result = check("You can return unused items within 30 days of purchase.", shop_passages)
    assert not result.ok
    assert "answer cites no passage" in result.reasons


def test_citation_of_a_passage_that_was_not_given_fails(shop_passages: list[Passage]) -> None:
    result = check("You can return unused items within 30 days of purchase [5].", shop_passages)
    assert not result.ok
    assert result.invalid_citations == [5]


def test_wrong_number_fails_even_with_high_overlap(shop_passages: list[Passage]) -> None:
    result = check("You can return unused items within 60 days of purchase [1].", shop_passages)
    assert not result.ok
    assert "not in passage: 60 days" in result.sentence_scores[0].problems


def test_invented_sentence_fails(shop_passages: list[Passage]) -> None:
    answer = "You can return items within 30 days [1]. We also offer free gift wrapping for birthdays [1]."
    result = check(answer, shop_passages)
    assert not result.ok
    assert [s.supported for s in result.sentence_scores] == [True, False]
    assert result.score < 0.8


def test_fact_cited_to_the_wrong_passage_fails(shop_passages: list[Passage]) -> None:
    result = check("Express shipping costs $12 and arrives the next business day [1].", shop_passages)
    assert not result.ok


def test_uncited_sentence_may_be_supported_by_any_passage(shop_passages: list[Passage]) -> None:
    answer = "Yes. Express shipping costs $12 [2]. It arrives the next business day."
    assert check(answer, shop_passages).ok


def test_one_sentence_may_combine_two_cited_passages(shop_passages: list[Passage]) -> None:
    answer = "Unused items can be returned within 30 days, and orders over $50 ship free [1][2]."
    assert check(answer, shop_passages).ok


def test_dropped_negation_fails(shop_passages: list[Passage]) -> None:
    assert check("The warranty does not cover water damage [3].", shop_passages).ok
    result = check("The warranty covers water damage [3].", shop_passages)
    assert not result.ok
    assert "negation differs from the passage" in result.sentence_scores[0].problems


def test_asked_subject_grafted_onto_another_passage_fails_when_question_given(
    shop_passages: list[Passage],
) -> None:
    answer = "A refund takes 3-5 business days to arrive [2]."
    result = check(answer, shop_passages, question="How long does a refund take?")
    assert not result.ok
    assert any("refund" in problem for problem in result.sentence_scores[0].problems)


def test_answer_about_something_else_fails_when_question_given(shop_passages: list[Passage]) -> None:
    result = check(
        "Express shipping costs $12 [2].", shop_passages, question="Does the warranty cover water damage?"
    )
    assert "answer mentions nothing the question asks about" in result.reasons


def test_chinese_answer_is_scored_on_character_bigrams(make_passage) -> None:  # type: ignore[no-untyped-def]
    passages = [
        make_passage(1, "退货政策", "未使用的商品可在购买后30天内退货。请携带原始收据或订单号。", lang="zh"),
        make_passage(2, "配送", "标准配送需要3至5个工作日。订单满50元免运费。", lang="zh"),
    ]
    assert check("未使用的商品可以在购买后30天内退货[1]。", passages).ok
    assert not check("所有商品都可以在90天内退货[1]。", passages).ok
    assert not check("商品可以在购买后30天内退货[2]。", passages).ok


def test_a_looping_answer_fails_though_each_sentence_is_supported(shop_passages: list[Passage]) -> None:
    claim = "You can return unused items within 30 days of purchase [1]."
    repeated = check(f"{claim} {claim}", shop_passages)
    assert not repeated.ok and repeated.reasons == ["answer repeats itself (1 repeated sentences)"]
    assert check(claim, shop_passages).ok
    looped = check(" ".join([claim] * 4), shop_passages)
    assert not looped.ok and "answer repeats itself (3 repeated sentences)" in looped.reasons


def test_a_phrase_loop_and_a_draft_cut_off_mid_sentence_fail(make_passage) -> None:  # type: ignore[no-untyped-def]
    """The local model looped inside one sentence until its tokens ran out, every piece of it in
    the passage: it had passed with score 1.0."""
    passages = [
        make_passage(
            1,
            "Compensation policy (2023 edition)",
            "In the 2023 edition, approved claims are paid within 15 working days, to the payment "
            "method used for the shipping fee.",
        )
    ]
    looped = check(
        "In the 2023 edition, the payment method used for the shipping fee was approved by the 2023 "
        "edition of the 2023 edition of the 2023 edition of the [1]",
        passages,
    )
    assert not looped.ok
    assert "answer loops on a phrase: 'the 2023 edition of'" in looped.reasons
    assert "answer is cut off mid-sentence" in looped.reasons
    cut = check("In the 2023 edition, approved claims are paid within 15 working days, to the [1]", passages)
    assert not cut.ok and cut.reasons == ["answer is cut off mid-sentence"]
    assert check("In the 2023 edition, approved claims were paid within 15 working days [1].", passages).ok
    # Three periods in one Chinese answer are no loop.
    zh = [
        make_passage(
            2, "退款", "退款在3个工作日内到账，换货5个工作日内发出，维修7个工作日内完成。", lang="zh"
        )
    ]
    assert check("退款在3个工作日内到账，换货5个工作日内发出，维修7个工作日内完成[2]。", zh).ok


def test_a_template_slot_fails(shop_passages: list[Passage], make_passage) -> None:  # type: ignore[no-untyped-def]
    """The small model's "[address]": a slot to fill, not a fact of the passage."""
    result = check(
        "Bring the original receipt to [store address] within 30 days of purchase [1].", shop_passages
    )
    assert not result.ok and any("template slots" in r for r in result.reasons)
    # Brackets the passage itself writes are quoted, not invented.
    app = [make_passage(1, "eSIM", "Open the app and tap [Account > eSIM] to scan the QR code.")]
    assert check("Tap [Account > eSIM] in the app to scan the QR code [1].", app).ok


def test_no_claim_at_all_fails(shop_passages: list[Passage]) -> None:
    result = check("Sure! [1]", shop_passages)
    assert not result.ok
    assert "answer makes no checkable claim" in result.reasons


def test_sentence_splitting_keeps_citations_and_decimals() -> None:
    text = (
        "Fees are 1.5% per order. [1] Refunds take a week [2].\n[3] Listed item\n退货需要七天。运费五元[4]。"
    )
    assert split_sentences(text) == [
        "Fees are 1.5% per order. [1]",
        "Refunds take a week [2].",
        "[3] Listed item",
        "退货需要七天。",
        "运费五元[4]。",
    ]


def test_citation_forms() -> None:
    assert citations_in("a [2] b [1, 3] c [2]【4】") == [2, 1, 3, 4]


def test_lexical_units_stem_english_and_split_chinese_into_bigrams() -> None:
    assert lexical_units("Returned items") == lexical_units("return item")
    assert lexical_units("退货政策") == ["退货", "货政", "政策"]
    assert "not" in lexical_units("does not cover")


def test_a_number_is_one_unit_whatever_its_trailing_zeros() -> None:
    assert lexical_units("below 95.0% or 1.50 or 1,200") == lexical_units("below 95% or 1.5 or 1200")
    assert lexical_units("10.05 and 100") == ["10.05", "100"]


def test_a_contracted_or_possessive_s_is_its_word() -> None:
    from assistant.grounding import lexical_units

    assert lexical_units("What's the driver's fee? Don't worry.") == ["driver", "fee", "don't", "worry"]
