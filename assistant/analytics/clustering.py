"""Groups question vectors into topics: scikit-learn's HDBSCAN over L2-normalised embeddings
(Euclidean distance on unit vectors orders pairs like cosine), optionally reduced by PCA first.

HDBSCAN's leaf clusters also catch questions that only share a template ("when did X happen?",
"what is the definition of Y?"): E5 puts them close. A cohesion check drops such loose clusters,
relative to the data, never with a fixed cosine (E5 cosines sit in a narrow band): a cluster
whose members lie farther, on average, from its centre than `cohesion_percentile` percent of all
questions lie from their nearest neighbour is dissolved into noise.

Label -1 is noise: a question unlike any other, left out of every cluster. The defaults were
tuned by `python -m eval.bench_gaps` on one half of the covid_faq paraphrase groups mixed with
answerable questions from other sets, and reported on the other half.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class ClusterParams:
    min_cluster_size: int = 2
    min_samples: int | None = 1  # None: HDBSCAN's default (min_cluster_size)
    method: Literal["eom", "leaf"] = "eom"
    epsilon: float = 0.0  # clusters closer than this (unit-vector distance) are merged
    # PCA components before clustering (skipped when there are fewer questions); None: all 384.
    dims: int | None = 96
    cohesion_percentile: float | None = 30.0  # None: keep every HDBSCAN cluster

    def describe(self) -> str:
        return (
            f"min_cluster_size={self.min_cluster_size} min_samples={self.min_samples} "
            f"method={self.method} epsilon={self.epsilon} dims={self.dims or 'full'} "
            f"cohesion_percentile={self.cohesion_percentile}"
        )


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def reduce(vectors: np.ndarray, dims: int | None) -> np.ndarray:
    """Unit vectors, PCA-reduced to `dims` components (and normalised again) when asked."""
    unit = normalise(vectors)
    if dims is None or dims >= min(unit.shape):
        return unit
    from sklearn.decomposition import PCA

    return normalise(PCA(n_components=dims, random_state=0).fit_transform(unit))


def cluster(vectors: np.ndarray, params: ClusterParams | None = None) -> np.ndarray:
    """One label per row: a cluster number from 0, or -1 for noise."""
    params = params or ClusterParams()
    n = len(vectors)
    if n < max(2, params.min_cluster_size):
        return np.full(n, -1, dtype=int)
    from sklearn.cluster import HDBSCAN  # scikit-learn loads in ~1 s: only when clustering

    points = reduce(vectors, params.dims)
    model = HDBSCAN(
        min_cluster_size=params.min_cluster_size,
        min_samples=None if params.min_samples is None else min(params.min_samples, n - 1),
        cluster_selection_method=params.method,
        cluster_selection_epsilon=params.epsilon,
        metric="euclidean",
        copy=True,
    )
    labels = np.asarray(model.fit_predict(points), dtype=int)
    if params.cohesion_percentile is not None:
        labels = drop_loose(points, labels, params.cohesion_percentile)
    return labels


def drop_loose(points: np.ndarray, labels: np.ndarray, percentile: float) -> np.ndarray:
    """Clusters whose mean distance to their centre exceeds the percentile of the points'
    nearest-neighbour distances become noise; the other labels are renumbered from 0."""
    from sklearn.neighbors import NearestNeighbors

    distances, _ = NearestNeighbors(n_neighbors=2).fit(points).kneighbors(points)
    limit = float(np.percentile(distances[:, 1], percentile))
    kept = np.full(len(labels), -1, dtype=int)
    for label in sorted(set(labels.tolist()) - {-1}):
        index = np.flatnonzero(labels == label)
        centre = normalise(points[index].mean(axis=0, keepdims=True))[0]
        if float(np.linalg.norm(points[index] - centre, axis=1).mean()) <= limit:
            kept[index] = kept.max() + 1
    return kept


def medoid(vectors: np.ndarray) -> int:
    """Index of the most central row: the highest mean cosine with the others."""
    unit = normalise(vectors)
    return int(np.argmax((unit @ unit.T).mean(axis=1)))
