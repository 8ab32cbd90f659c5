"""Fusion math on hand-made rankings."""

from __future__ import annotations

import pytest

from assistant.retrieval.fusion import boost, collapse, fuse, score_fusion, weighted_rrf
from assistant.retrieval.types import RankedList, ScoredChunk


def ranked(name: str, *items: tuple[str, float]) -> RankedList:
    return RankedList(name, [ScoredChunk(chunk_id, score) for chunk_id, score in items])


BM25 = ranked("bm25", ("a", 12.0), ("b", 8.0), ("c", 2.0))
DENSE = ranked("dense", ("c", 0.91), ("a", 0.88), ("d", 0.80))


def test_equal_weight_rrf() -> None:
    fused = weighted_rrf([BM25, DENSE], {"bm25": 1.0, "dense": 1.0}, k=60)
    scores = fused.scores()
    assert scores["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert scores["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert scores["b"] == pytest.approx(1 / 62)
    assert [h.chunk_id for h in fused.hits] == ["a", "c", "b", "d"]


def test_weights_shift_the_order() -> None:
    fused = weighted_rrf([BM25, DENSE], {"bm25": 0.2, "dense": 1.0}, k=1)
    # dense: c 1/2, a 1/3, d 1/4; bm25 x0.2: a 0.1, b 0.0667, c 0.05
    assert [h.chunk_id for h in fused.hits] == ["c", "a", "d", "b"]
    assert fused.scores()["a"] == pytest.approx(0.2 / 2 + 1 / 3)


def test_score_fusion_min_max_normalises_each_list() -> None:
    fused = score_fusion([BM25, DENSE], {"bm25": 1.0, "dense": 1.0})
    scores = fused.scores()
    assert scores["a"] == pytest.approx(1.0 + (0.88 - 0.80) / (0.91 - 0.80))
    assert scores["c"] == pytest.approx(0.0 + 1.0)
    assert scores["b"] == pytest.approx(0.6)
    assert scores["d"] == pytest.approx(0.0)


def test_fuse_rejects_unknown_method_and_handles_empty_lists() -> None:
    with pytest.raises(ValueError):
        fuse([BM25], "max", {}, 60)  # type: ignore[arg-type]
    assert fuse([ranked("bm25"), DENSE], "score", {}, 60).hits[0].chunk_id == "c"


def test_faq_boost_multiplies_by_strength() -> None:
    fused = ranked("fused", ("a", 0.030), ("faq", 0.025), ("b", 0.020))
    boosted = boost(fused, {"faq": 0.5}, factor=1.0, threshold=0.5)
    assert [h.chunk_id for h in boosted.hits] == ["faq", "a", "b"]
    assert boosted.scores()["faq"] == pytest.approx(0.025 * 1.5)
    assert boost(fused, {"faq": 0.5}, factor=0.0) is fused
    assert boost(fused, {"faq": 0.5}, factor=1.0, threshold=0.8) is fused  # not a strong match


def test_score_fusion_scales_from_floor_to_ceiling_when_the_list_has_them() -> None:
    lexical = RankedList("bm25", [ScoredChunk("a", 6.0), ScoredChunk("b", 3.0)], ceiling=12.0, floor=0.0)
    fused = score_fusion([lexical, DENSE], {"bm25": 2.0, "dense": 1.0})
    scores = fused.scores()
    assert scores["a"] == pytest.approx(2.0 * 0.5 + (0.88 - 0.80) / 0.11)
    assert scores["b"] == pytest.approx(2.0 * 0.25)
    assert scores["c"] == pytest.approx(1.0)
    # A dense list with the cosine ceiling: its best match counts by how close to 1 it is.
    capped = RankedList("dense", DENSE.hits, ceiling=1.0)
    scores = score_fusion([lexical, capped], {"bm25": 2.0, "dense": 1.0}).scores()
    assert scores["c"] == pytest.approx((0.91 - 0.80) / 0.20)
    assert scores["a"] == pytest.approx(2.0 * 0.5 + (0.88 - 0.80) / 0.20)


def test_collapse_keeps_the_best_chunks_of_each_document_first() -> None:
    fused = ranked(
        "fused", ("a1", 0.9), ("a2", 0.8), ("b1", 0.7), ("a3", 0.6), ("faq1", 0.5), ("faq2", 0.4), ("c1", 0.3)
    )
    units = {"a1": 0, "a2": 0, "a3": 0, "b1": 1, "c1": 2}  # FAQ pairs are not collapsed
    one = collapse(fused, units, 1)
    assert [h.chunk_id for h in one.hits] == ["a1", "b1", "faq1", "faq2", "c1", "a2", "a3"]
    assert one.scores() == fused.scores()
    assert [h.chunk_id for h in collapse(fused, units, 2).hits] == [
        "a1",
        "a2",
        "b1",
        "faq1",
        "faq2",
        "c1",
        "a3",
    ]
    assert collapse(fused, units, 0) is fused
