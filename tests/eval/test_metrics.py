"""Metric arithmetic on hand-computed values."""

from __future__ import annotations

import math

import pytest

from eval.metrics import (
    alias_match,
    citation_validity,
    doc_ranking,
    exact_match,
    hit_at_k,
    mean,
    mrr_at_k,
    ndcg_at_k,
    percentile,
    refusal_scores,
    retrieval_scores,
)
from eval.text import contains, normalize
from ingest.text import citation_numbers


def test_doc_ranking_keeps_first_occurrence_of_each_document() -> None:
    assert doc_ranking(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]


def test_hit_mrr_ndcg_by_hand() -> None:
    ranking = ["x", "g1", "y", "g2"]
    gold = {"g1", "g2"}
    assert hit_at_k(ranking, gold, 1) == 0.0
    assert hit_at_k(ranking, gold, 2) == 1.0
    assert mrr_at_k(ranking, gold, 10) == 0.5
    assert mrr_at_k(ranking, gold, 1) == 0.0
    # DCG = 1/log2(3) + 1/log2(5); ideal = 1/log2(2) + 1/log2(3)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg_at_k(ranking, gold, 10) == pytest.approx(expected, abs=1e-12)
    # Cut at 2: only g1 counts, the ideal still has two relevant slots.
    assert ndcg_at_k(ranking, gold, 2) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["g1"], {"g1"}, 10) == 1.0
    assert ndcg_at_k([], {"g1"}, 10) == 0.0
    with pytest.raises(ValueError):
        ndcg_at_k(["a"], set(), 10)


def test_retrieval_scores_keys_and_a_gold_beyond_ten() -> None:
    ranking = [f"d{i}" for i in range(11)] + ["gold"]
    scores = retrieval_scores(ranking, {"gold"})
    assert scores == {"hit@1": 0.0, "hit@3": 0.0, "hit@5": 0.0, "hit@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}


def test_refusal_scores_by_hand() -> None:
    # should refuse: T T F F F ; refused: T F T F F -> tp 1, fn 1, fp 1, tn 2
    scores = refusal_scores([True, True, False, False, False], [True, False, True, False, False])
    assert (scores.tp, scores.fn, scores.fp, scores.tn) == (1, 1, 1, 2)
    assert scores.precision == 0.5
    assert scores.recall == 0.5
    assert scores.f1 == 0.5
    assert scores.false_refusal_rate == pytest.approx(1 / 3)
    assert scores.balanced_accuracy == pytest.approx((0.5 + 2 / 3) / 2)


def test_refusal_scores_undefined_parts_are_none() -> None:
    all_answerable = refusal_scores([False, False], [False, True])
    assert all_answerable.recall is None and all_answerable.f1 is None
    assert all_answerable.balanced_accuracy is None
    assert all_answerable.false_refusal_rate == 0.5
    assert all_answerable.precision == 0.0
    never_refused = refusal_scores([True, False], [False, False])
    assert never_refused.precision is None and never_refused.recall == 0.0
    assert refusal_scores([True], [False]).f1 is None
    with pytest.raises(ValueError):
        refusal_scores([True], [])


def test_normalize_case_punctuation_full_width() -> None:
    assert normalize("  Ｈｅｌｌｏ，ＷＯＲＬＤ！ ") == "hello world"
    assert normalize("３０ days.") == "30 days"
    assert normalize("光荣和ω-force") == "光荣和ω force"


def test_contains_words_for_latin_substring_for_chinese() -> None:
    assert contains("No, you cannot.", "no")
    assert not contains("I do not know", "no")
    assert contains("It costs $15 [3].", "$15")
    assert contains("由光荣和 ω-force 开发", "光荣和ω-force")
    assert contains("保修期为两年【1】。", "两年")
    assert not contains("保修期为三年", "两年")
    assert not contains("anything", "!!!")
    # A Chinese character beside a Latin word is a word boundary; a Latin letter is not.
    assert contains("请发送至care@lotushome.sg[2]。", "care@lotushome.sg")
    assert not contains("请发送至xcare@lotushome.sg。", "care@lotushome.sg")


def test_alias_match_is_and_of_or() -> None:
    groups = [["30 days", "thirty days"], ["receipt"]]
    assert alias_match("Within thirty days with a receipt.", groups) is True
    assert alias_match("Within 30 days.", groups) is False
    assert alias_match("anything", []) is None


def test_exact_match_normalised() -> None:
    assert exact_match("Yes.", "yes")
    assert exact_match("３０ＤＡＹＳ", "30days")
    assert not exact_match("Yes, you can", "yes")


def test_citation_numbers_and_validity() -> None:
    assert citation_numbers("a [1] b [2, 3] c【4】d［5］e [6，7]") == [1, 2, 3, 4, 5, 6, 7]
    assert citation_validity("See [1] and [3].", [], 3) is True
    assert citation_validity("See [4].", [], 3) is False
    assert citation_validity("See [0].", [], 3) is False
    assert citation_validity("No markers.", [2], 1) is False  # declared citation beyond the passages
    assert citation_validity("No markers.", [], 3) is None


def test_percentile_linear_interpolation() -> None:
    values = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0]
    assert percentile(values, 50) == 350.0
    assert percentile(values, 95) == pytest.approx(575.0)
    assert percentile(values, 99) == pytest.approx(595.0)
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_mean_skips_none_and_nan() -> None:
    assert mean([1.0, None, True, float("nan"), 0.0]) == pytest.approx(2 / 3)
    assert mean([None]) is None
