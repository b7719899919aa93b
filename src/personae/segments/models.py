"""The candidate algorithms behind one interface, so the choice treats them alike.

Each algorithm fits on some rows of :class:`SegmentData` for a given k and seed, returns
membership probabilities for any rows, and scores itself by its own criterion: BIC for the
two mixture models (lower is better), the silhouette for k-means (higher is better). What
is compared (the data views) lives in :mod:`personae.segments.features`; which engine fits
it lives here.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import softmax

from personae.segments.latent_class import LatentClassModel


@dataclass
class SegmentData:
    """The sample's two views: one-hot codes (latent class) and the PCA embedding."""

    codes: sp.csr_matrix
    groups: np.ndarray
    embedding: np.ndarray


class Fitted:
    """A fitted candidate: membership probabilities and its selection criterion."""

    criterion_name = ""
    lower_is_better = True

    def predict_proba(self, data: SegmentData) -> np.ndarray:
        raise NotImplementedError

    def criterion(self, data: SegmentData, rows: np.ndarray) -> float:
        raise NotImplementedError


class _LatentClass(Fitted):
    criterion_name = "BIC"

    def __init__(self, data: SegmentData, rows: np.ndarray, k: int, seed: int) -> None:
        self.model = LatentClassModel(k, n_init=3, random_state=seed)
        self.model.fit(data.codes[rows], data.groups)

    def predict_proba(self, data: SegmentData) -> np.ndarray:
        return self.model.predict_proba(data.codes)

    def criterion(self, data: SegmentData, rows: np.ndarray) -> float:
        return float(self.model.bic())


class _Gmm(Fitted):
    criterion_name = "BIC"

    def __init__(self, data: SegmentData, rows: np.ndarray, k: int, seed: int) -> None:
        from sklearn.mixture import GaussianMixture

        self.model = GaussianMixture(
            k, covariance_type="diag", n_init=1, max_iter=200, reg_covar=1e-3, random_state=seed
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model.fit(data.embedding[rows])

    def predict_proba(self, data: SegmentData) -> np.ndarray:
        return self.model.predict_proba(data.embedding)

    def criterion(self, data: SegmentData, rows: np.ndarray) -> float:
        return float(self.model.bic(data.embedding[rows]))


class _KMeans(Fitted):
    criterion_name = "silhouette"
    lower_is_better = False

    def __init__(self, data: SegmentData, rows: np.ndarray, k: int, seed: int) -> None:
        from sklearn.cluster import KMeans

        X = data.embedding[rows]
        self.model = KMeans(k, n_init=4, random_state=seed).fit(X)
        # soft memberships from distances, at the clusters' own within-cluster spread
        self.spread = max(float(self.model.inertia_) / max(X.shape[0] * X.shape[1], 1), 1e-9)
        self.seed = seed

    def predict_proba(self, data: SegmentData) -> np.ndarray:
        d2 = self.model.transform(data.embedding) ** 2
        return softmax(-d2 / (2 * self.spread), axis=1)

    def criterion(self, data: SegmentData, rows: np.ndarray) -> float:
        from sklearn.metrics import silhouette_score

        X = data.embedding[rows]
        labels = self.model.predict(X)
        if len(np.unique(labels)) < 2:
            return -1.0
        return float(
            silhouette_score(X, labels, sample_size=min(len(rows), 3000), random_state=self.seed)
        )


ALGORITHMS: dict[str, type[Fitted]] = {
    "latent_class": _LatentClass,
    "gmm": _Gmm,
    "kmeans": _KMeans,
}

ALGORITHM_TITLES = {
    "latent_class": "latent class (mixed data)",
    "gmm": "Gaussian mixture",
    "kmeans": "k-means",
}


def fit_algorithm(name: str, data: SegmentData, rows: np.ndarray, k: int, seed: int) -> Fitted:
    """Fit the named algorithm with k segments on ``rows`` of ``data``."""
    return ALGORITHMS[name](data, rows, k, seed)
