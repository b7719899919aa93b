"""A latent class model for mixed customer data, fitted by EM.

Every attribute enters as a categorical variable: categories as they are, numbers as
quantile bins (see :mod:`personae.segments.features`). Binning numbers instead of giving
them a Gaussian per class is what made this model recover the planted archetypes: money,
counts and rates are skewed, zero-inflated or bounded, and a Gaussian per class spends its
classes on those shapes rather than on the groups. Classes assume the attributes are
independent given the class (the classic latent class model); a missing value simply
contributes nothing to the likelihood (full-information maximum likelihood), so nobody is
dropped for an unanswered survey.

The data is a sparse one-hot matrix ``H`` (rows × all levels of all attributes) and
``groups``, the attribute index of each column, so one E-step is a sparse matrix product.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp


class LatentClassModel:
    """Latent class analysis with a scikit-learn style API.

    Parameters are held by the constructor; :meth:`fit` learns class weights and the
    per-class level probabilities. ``n_init`` restarts (the first from k-means++ style
    seeding on the one-hot rows, the rest from random soft assignments) guard against the
    local optima EM is prone to; the best log-likelihood wins.
    """

    def __init__(
        self,
        n_components: int,
        *,
        n_init: int = 4,
        max_iter: int = 300,
        tol: float = 1e-6,
        smoothing: float = 0.1,
        random_state: int = 0,
    ) -> None:
        self.n_components = n_components
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.smoothing = smoothing
        self.random_state = random_state

    # -- EM ----------------------------------------------------------------------------
    def _m_step(self, resp: np.ndarray, H: sp.csr_matrix) -> None:
        counts = resp.sum(axis=0) + 1e-10
        self.weights_ = counts / counts.sum()
        # expected level counts per class, smoothed so an unseen level is rare, not impossible
        level = np.asarray((H.T @ resp).T) + self.smoothing
        per_attribute = level @ self._membership  # classes × attributes
        self.log_probs_ = np.log(level) - np.log(per_attribute @ self._membership.T)

    def _joint(self, H: sp.csr_matrix) -> np.ndarray:
        return np.asarray(H @ self.log_probs_.T) + np.log(self.weights_)

    def _start(self, H: sp.csr_matrix, attempt: int, rng: np.random.Generator) -> np.ndarray:
        n, k = H.shape[0], self.n_components
        if attempt == 0:
            # k-means++ seeding on the one-hot rows: spread-out starting centres
            centres = [int(rng.integers(n))]
            sq = np.asarray(H.multiply(H).sum(axis=1)).ravel()
            d2 = np.full(n, np.inf)
            for _ in range(1, k):
                c = H[centres[-1]]
                dist = sq + c.multiply(c).sum() - 2 * np.asarray((H @ c.T).todense()).ravel()
                d2 = np.minimum(d2, np.maximum(dist, 0))
                p = d2 / d2.sum() if d2.sum() > 0 else None
                centres.append(int(rng.choice(n, p=p)))
            C = sp.vstack([H[c] for c in centres])
            sim = np.asarray((H @ C.T).todense())
            lab = sim.argmax(axis=1)
            return np.eye(k)[lab] * 0.8 + 0.2 / k
        return rng.dirichlet(np.full(k, 0.5), size=n)

    def fit(self, H: sp.spmatrix, groups: np.ndarray) -> LatentClassModel:
        H = sp.csr_matrix(H, dtype=np.float64)
        groups = np.asarray(groups)
        n_attr = int(groups.max()) + 1 if len(groups) else 0
        self._membership = np.zeros((H.shape[1], n_attr))
        self._membership[np.arange(H.shape[1]), groups] = 1.0
        self.groups_ = groups
        rng = np.random.default_rng(self.random_state)
        best: tuple | None = None
        for attempt in range(self.n_init):
            resp = self._start(H, attempt, rng)
            previous = -np.inf
            loglik = -np.inf
            n_iter = 0
            for n_iter in range(1, self.max_iter + 1):  # noqa: B007 (used after the loop)
                self._m_step(resp, H)
                joint = self._joint(H)
                norm = logsumexp(joint, axis=1)
                resp = np.exp(joint - norm[:, None])
                loglik = float(norm.sum())
                if loglik - previous <= self.tol * abs(loglik):
                    break
                previous = loglik
            if best is None or loglik > best[0]:
                best = (loglik, self.weights_.copy(), self.log_probs_.copy(), n_iter)
        assert best is not None
        self.loglik_, self.weights_, self.log_probs_, self.n_iter_ = best
        self.n_rows_ = H.shape[0]
        return self

    # -- use ---------------------------------------------------------------------------
    def predict_proba(self, H: sp.spmatrix) -> np.ndarray:
        joint = self._joint(sp.csr_matrix(H, dtype=np.float64))
        return np.exp(joint - logsumexp(joint, axis=1)[:, None])

    def predict(self, H: sp.spmatrix) -> np.ndarray:
        return self.predict_proba(H).argmax(axis=1)

    def n_parameters(self) -> int:
        free_levels = len(self.groups_) - (int(self.groups_.max()) + 1 if len(self.groups_) else 0)
        return (self.n_components - 1) + self.n_components * free_levels

    def bic(self) -> float:
        """Bayesian information criterion on the fitted rows (lower is better)."""
        return -2 * self.loglik_ + self.n_parameters() * np.log(self.n_rows_)
