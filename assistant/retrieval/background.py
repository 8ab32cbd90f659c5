"""A language's background: how close a query sits to that language's texts whatever they say.

The multilingual embedder puts a Chinese question nearer any Chinese text than an English one
(dense.py, titles.py). What tells a match is its lead over its language's background: the median
cosine of the language's hits at BACKGROUND_RANKS (1-based; the best one is left out, as it may
be the answer). With fewer than BACKGROUND_MIN such hits (a language with a handful of texts)
there is no background to tell.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

BACKGROUND_RANKS = (2, 20)
BACKGROUND_MIN = 5


def background(scores_best_first: Sequence[float]) -> float | None:
    """The median of the scores at BACKGROUND_RANKS; None with fewer than BACKGROUND_MIN there."""
    first, last = BACKGROUND_RANKS
    scores = list(scores_best_first[first - 1 : last])
    return float(np.median(scores)) if len(scores) >= BACKGROUND_MIN else None
