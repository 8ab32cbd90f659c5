"""Sentence similarity for the answer steps: the embedder's vectors, cached by text, bounded."""

from __future__ import annotations

import numpy as np

from assistant.sentence_similarity import SentenceSimilarity
from ingest.config import Settings
from ingest.embedding import get_embedder


def test_a_paraphrase_is_closer_than_another_topic_and_vectors_are_cached() -> None:
    similarity = SentenceSimilarity(get_embedder(Settings()), cache_size=3)
    passage = "Unused items can be returned within 30 days of purchase."
    scores = similarity.matrix(
        [
            "You can return unused items within 30 days of purchase.",
            "We offer free gift wrapping for birthdays.",
        ],
        [passage],
    )
    assert scores.shape == (2, 1) and scores[0, 0] > scores[1, 0]
    again = similarity.vectors([passage, passage])
    assert np.allclose(again[0], again[1]) and np.allclose(again[0], similarity.vectors([passage])[0])
    similarity.vectors(["Store opening hours are 9 to 5."])
    assert len(similarity._vectors) == 3  # four texts seen: the least recently used was dropped
    assert similarity.vectors([]).shape[0] == 0
