"""Outliers: entities far from every dense region of the embedding (HDBSCAN).

HDBSCAN runs on the choice sample only (it is quadratic-ish in memory and time). To flag
every entity, each dense cluster it finds is summarised by its centroid and a radius (the
95th percentile distance of its members); an entity outside every cluster's radius is an
outlier. That costs one distance per cluster per entity, so a million entities take
seconds, where nearest-neighbour lookups into the sample took fifteen.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


@dataclass
class OutlierModel:
    """Cluster envelopes learnt from HDBSCAN on a sample."""

    centroids: np.ndarray
    radii: np.ndarray
    sample_noise_share: float
    clusters: int

    def flag(self, embedding: np.ndarray, chunk: int = 200_000) -> np.ndarray:
        out = np.zeros(len(embedding), dtype=bool)
        if not len(self.centroids):
            return out
        for start in range(0, len(embedding), chunk):
            z = embedding[start : start + chunk]
            d2 = (
                (z**2).sum(axis=1)[:, None]
                - 2 * z @ self.centroids.T
                + (self.centroids**2).sum(axis=1)[None, :]
            )
            d = np.sqrt(np.maximum(d2, 0))
            out[start : start + chunk] = (d > self.radii[None, :]).all(axis=1)
        return out


def fit_outliers(sample: np.ndarray, *, quantile: float = 0.99) -> OutlierModel:
    """HDBSCAN on the sample embedding, turned into per-cluster envelopes."""
    from sklearn.cluster import HDBSCAN

    n = len(sample)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = HDBSCAN(min_cluster_size=max(15, n // 100), min_samples=10, copy=True).fit_predict(
            sample
        )
    centroids, radii = [], []
    for c in np.unique(labels[labels >= 0]):
        members = sample[labels == c]
        centre = members.mean(axis=0)
        centroids.append(centre)
        radii.append(np.quantile(np.linalg.norm(members - centre, axis=1), quantile))
    width = sample.shape[1] if sample.ndim == 2 else 0
    return OutlierModel(
        np.asarray(centroids).reshape(-1, width),
        np.asarray(radii),
        float((labels < 0).mean()) if n else 0.0,
        len(centroids),
    )
