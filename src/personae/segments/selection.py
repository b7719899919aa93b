"""Choosing the algorithm and k: fit quality, then bootstrap stability, in the open.

For every algorithm and every k in range, the reference solution is fitted on the whole
choice sample and refitted on ``bootstraps`` resamples of it (drawn with replacement).
Each refit assigns the whole sample; a reference segment's stability is the mean, over
resamples, of its Jaccard overlap with its best-matching refit segment (Hennig's
``clusterboot`` measure). A candidate with any segment under ``min_jaccard`` is rejected:
a segment that dissolves when a few customers change is no basis for a persona.

Among the stable candidates each algorithm keeps the k its own criterion prefers (BIC for
mixtures, silhouette for k-means). The algorithms' picks are then compared on one yardstick
all of them share: how strongly the segments separate the attributes (mean Cramér's V
between segment and attribute), which is what a persona needs. Every candidate is kept
with its figures so the report can show the runners-up.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import adjusted_rand_score

from personae.segments.models import SegmentData, fit_algorithm


@dataclass
class Candidate:
    """One (algorithm, k) tried, with everything the choice looked at."""

    algorithm: str
    k: int
    criterion_name: str
    criterion: float
    separation: float
    jaccard: list[float]
    min_jaccard: float
    mean_jaccard: float
    bootstrap_ari: float
    sizes: list[int]
    stable: bool
    chosen: bool = False
    note: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Choice:
    """The winner, every candidate, and the rule that decided."""

    winner: Candidate
    candidates: list[Candidate] = field(default_factory=list)
    rule: str = ""


def best_match_jaccard(reference: np.ndarray, other: np.ndarray, k: int) -> np.ndarray:
    """Per reference segment, the Jaccard overlap with its best-matching ``other`` segment."""
    k_other = int(other.max()) + 1 if len(other) else 0
    both = np.zeros((k, k_other))
    np.add.at(both, (reference, other), 1)
    size_ref = np.bincount(reference, minlength=k)[:, None]
    size_other = np.bincount(other, minlength=k_other)[None, :]
    union = size_ref + size_other - both
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, both / union, 0.0)
    return jac.max(axis=1) if k_other else np.zeros(k)


def separation(codes: sp.csr_matrix, groups: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Mean Cramér's V between the segment and each attribute (0: unrelated, 1: determined)."""
    member = sp.csr_matrix(
        (np.ones(len(labels)), (np.arange(len(labels)), labels)), shape=(len(labels), k)
    )
    table = np.asarray((codes.T @ member).todense())  # levels × segments
    values = []
    for g in np.unique(groups):
        t = table[groups == g]
        t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
        n = t.sum()
        if n == 0 or min(t.shape) < 2:
            continue
        expected = t.sum(axis=1, keepdims=True) @ t.sum(axis=0, keepdims=True) / n
        chi2 = float(((t - expected) ** 2 / np.where(expected > 0, expected, 1)).sum())
        values.append(np.sqrt(chi2 / (n * (min(t.shape) - 1))))
    return float(np.mean(values)) if values else 0.0


def evaluate(
    data: SegmentData,
    algorithm: str,
    k: int,
    *,
    bootstraps: int,
    min_jaccard: float,
    seed: int,
) -> tuple[Candidate, object]:
    """Fit one candidate on the sample and measure its stability over bootstrap refits."""
    n = data.codes.shape[0]
    everyone = np.arange(n)
    fitted = fit_algorithm(algorithm, data, everyone, k, seed)
    reference = fitted.predict_proba(data).argmax(axis=1)
    rng = np.random.default_rng(seed)
    jaccards, aris = [], []
    for b in range(bootstraps):
        rows = rng.integers(0, n, n)
        refit = fit_algorithm(algorithm, data, rows, k, seed + 1 + b)
        labels = refit.predict_proba(data).argmax(axis=1)
        jaccards.append(best_match_jaccard(reference, labels, k))
        aris.append(adjusted_rand_score(reference, labels))
    jac = np.mean(jaccards, axis=0)
    sizes = np.bincount(reference, minlength=k)
    # a segment the reference fit left empty cannot be stable
    jac = np.where(sizes > 0, jac, 0.0)
    candidate = Candidate(
        algorithm=algorithm,
        k=k,
        criterion_name=fitted.criterion_name,
        criterion=fitted.criterion(data, everyone),
        separation=separation(data.codes, data.groups, reference, k),
        jaccard=[round(float(j), 4) for j in jac],
        min_jaccard=round(float(jac.min()), 4),
        mean_jaccard=round(float(jac.mean()), 4),
        bootstrap_ari=round(float(np.mean(aris)), 4),
        sizes=[int(s) for s in sizes],
        stable=bool(jac.min() >= min_jaccard),
    )
    if not candidate.stable:
        weakest = int(np.argmin(jac))
        candidate.note = (
            f"rejected: a segment of {sizes[weakest]:,} has bootstrap Jaccard "
            f"{jac[weakest]:.3f} < {min_jaccard:.2f}"
        )
    return candidate, fitted


def choose(
    data: SegmentData,
    algorithms: list[str],
    ks: list[int],
    *,
    bootstraps: int,
    min_jaccard: float,
    seed: int,
    progress=None,
) -> tuple[Choice, dict[tuple[str, int], object]]:
    """Try every algorithm × k; return the choice and the reference fits by (algorithm, k)."""
    candidates: list[Candidate] = []
    fits: dict[tuple[str, int], object] = {}
    for algorithm in algorithms:
        for k in ks:
            if progress:
                progress(f"trying {algorithm} with k={k}")
            cand, fitted = evaluate(
                data, algorithm, k, bootstraps=bootstraps, min_jaccard=min_jaccard, seed=seed
            )
            candidates.append(cand)
            fits[(algorithm, k)] = fitted
    picks: list[Candidate] = []
    for algorithm in algorithms:
        own = [c for c in candidates if c.algorithm == algorithm and c.stable]
        if not own:
            continue
        sign = 1 if own[0].criterion_name == "BIC" else -1
        best = min(own, key=lambda c: (sign * c.criterion, c.k))
        best.note = f"best {best.criterion_name} of the stable {algorithm} solutions"
        picks.append(best)
    if picks:
        winner = max(picks, key=lambda c: (round(c.separation, 3), c.mean_jaccard))
        rule = (
            "each algorithm's best stable k by its own criterion (BIC, silhouette); "
            "then the strongest attribute separation (mean Cramér's V)"
        )
    else:
        # nothing is stable: say so and keep the most stable candidate rather than none
        winner = max(candidates, key=lambda c: (c.min_jaccard, c.mean_jaccard))
        rule = (
            f"no candidate had every segment at bootstrap Jaccard >= {min_jaccard:.2f}; "
            "the most stable one is used and flagged"
        )
    winner.chosen = True
    if winner.stable:
        winner.note = "chosen: " + winner.note
    else:
        winner.note = "chosen although unstable (nothing was stable): " + winner.note
    return Choice(winner, candidates, rule), fits
