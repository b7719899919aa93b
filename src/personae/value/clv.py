"""Customer lifetime value: BG/NBD purchase counts and Gamma-Gamma spend, fitted by maximum
likelihood.

Models (written from the papers, not from any library):

- **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"). While alive a
  customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each *repeat* purchase
  they drop out for good with probability p ~ Beta(a, b). Per customer we only need
  ``frequency`` x (repeat purchases), ``recency`` t_x (time from first to last purchase) and
  ``T`` (time from first purchase to the end of observation), all in one time unit.
- **Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV"; Fader & Hardie, "The Gamma-Gamma
  model of monetary value"). Each transaction value is Gamma(p, ν) with ν ~ Gamma(q, γ)
  across customers; fitted on the mean spend per repeat transaction of repeat buyers. It
  assumes spend is independent of frequency: :func:`spend_frequency_correlation` checks it.

Conventions: ``frequency`` counts repeat purchases (distinct purchase days after the first),
``recency`` is the customer's *age at the last purchase* (0 when frequency is 0) — not the
time since the last purchase — and ``T`` the age at the end of observation. The time unit
is whatever those are measured in; parameters α and γ depend on it, predictions over a
horizon ``t`` use the same unit.

Fitting maximises the weighted log-likelihood over log-parameters with L-BFGS-B and exact
analytic gradients, after compressing identical input rows into weights (a million customers
on a daily grid collapse to a few hundred thousand rows), then polishes with Newton steps on
a numerical Hessian of the exact gradient; the same Hessian gives standard errors. For very
large inputs ``fit(..., sample_size=...)`` fits on a random sample; predictions are closed
form and vectorised, so every profile is scored.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special, stats
from threadpoolctl import threadpool_limits

__all__ = [
    "BetaGeo",
    "GammaGamma",
    "IndependenceCheck",
    "ModelFitWarning",
    "ModelInputError",
    "calibration_holdout",
    "customer_lifetime_value",
    "holdout_chart",
    "holdout_comparison",
    "simulate_beta_geo",
    "spend_frequency_correlation",
    "summarise_transactions",
]

FloatArray = NDArray[np.float64]
Objective = Callable[[FloatArray], tuple[float, FloatArray]]

# A fit is accepted when the largest gradient component of the mean negative log-likelihood
# (with respect to the log-parameters) is below this; Newton polishing then usually reaches
# ~1e-12, so this only rejects fits that are genuinely not at an optimum.
_GRADIENT_GATE = 1e-6
_HESSIAN_STEP = 1e-5
# L-BFGS-B only has to get near the optimum; Newton polishing finishes the job far faster
# than L-BFGS-B's last, line-search-limited iterations.
_LBFGS_GTOL = 1e-7
_LEGENDRE = np.polynomial.legendre.leggauss(200)


class ModelInputError(ValueError):
    """The inputs cannot be modelled; the message names the input and how to fix it."""


class ModelFitWarning(UserWarning):
    """The fit finished but a parameter sits on its bound (the data barely identify it)."""


# --------------------------------------------------------------------------------------------
# input checking


def _vector(values: ArrayLike, name: str) -> FloatArray:
    """One float per customer; pandas nullable values become NaN so they are reported, not
    silently dropped."""
    try:
        if isinstance(values, pd.Series | pd.Index):
            arr = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ModelInputError(f"{name} must contain numbers, one per customer ({exc})") from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ModelInputError(
            f"{name} must be one-dimensional (one value per customer); got {arr.shape}"
        )
    return arr


def _first(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _require_finite(arr: FloatArray, name: str, allowed: NDArray[np.bool_] | None = None) -> None:
    bad = ~np.isfinite(arr)
    if allowed is not None:
        bad &= ~allowed
    if bad.any():
        raise ModelInputError(
            f"{name} has {int(bad.sum())} missing or infinite value(s) (first at position "
            f"{_first(bad)}); drop or fill those customers before modelling"
        )


def _require_non_negative(arr: FloatArray, name: str, why: str) -> None:
    bad = arr < 0
    if bad.any():
        i = _first(bad)
        raise ModelInputError(
            f"{name} has {int(bad.sum())} negative value(s) (first at position {i}: {arr[i]:g}); "
            f"{why}"
        )


def _same_lengths(arrays: dict[str, FloatArray]) -> int:
    lengths = {name: len(arr) for name, arr in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ModelInputError(f"inputs must have one value per customer; got lengths {listed}")
    n = next(iter(lengths.values()))
    if n == 0:
        raise ModelInputError(
            f"no customers: {', '.join(lengths)} are empty; pass one summary row per customer"
        )
    return n


def _check_frequency(x: FloatArray) -> None:
    _require_finite(x, "frequency")
    _require_non_negative(x, "frequency", "it counts repeat purchases")
    fractional = x != np.round(x)
    if fractional.any():
        i = _first(fractional)
        raise ModelInputError(
            f"frequency must be whole numbers (repeat purchase counts); position {i} has {x[i]:g}"
        )


def _rfm(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[FloatArray, ...]:
    """Validated (x, t_x, T); the recency checks catch the common mix-up of recency with
    'time since last purchase'."""
    x, tx, age = (
        _vector(v, n) for v, n in ((frequency, "frequency"), (recency, "recency"), (T, "T"))
    )
    _same_lengths({"frequency": x, "recency": tx, "T": age})
    _check_frequency(x)
    _require_finite(tx, "recency")
    _require_finite(age, "T")
    _require_non_negative(tx, "recency", "it is the time from first to last purchase")
    _require_non_negative(age, "T", "it is the time from first purchase to the end of observation")
    late = tx > age * (1 + 1e-9) + 1e-12
    if late.any():
        i = _first(late)
        raise ModelInputError(
            f"recency is greater than T for {int(late.sum())} customer(s) (first at position {i}: "
            f"recency {tx[i]:g} > T {age[i]:g}); recency is the time from first to last purchase "
            "and T the time from first purchase to the end of observation, in the same unit"
        )
    stray = (x == 0) & (tx > 0)
    if stray.any():
        i = _first(stray)
        raise ModelInputError(
            f"recency must be 0 where frequency is 0 ({int(stray.sum())} customer(s), first at "
            f"position {i}: recency {tx[i]:g}); recency is the age at the last repeat purchase "
            "(time from first to last purchase), not the time since the last purchase"
        )
    return x, np.minimum(tx, age), age


def _weights(weights: ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n)
    w = _vector(weights, "weights")
    if len(w) != n:
        raise ModelInputError(f"weights must have one value per customer; got {len(w)} for {n}")
    _require_finite(w, "weights")
    _require_non_negative(w, "weights", "weights count identical customers")
    if w.sum() <= 0:
        raise ModelInputError("weights sum to 0: at least one customer must carry weight")
    return w


def _horizon(t: ArrayLike, name: str = "t") -> FloatArray:
    arr = np.asarray(t, dtype=float)
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        raise ModelInputError(f"{name} must be finite and ≥ 0 (a time span in the model's unit)")
    return arr


def _distinct(columns: Sequence[FloatArray]) -> tuple[list[FloatArray], NDArray[np.intp]]:
    """Distinct rows and each input row's index among them. A hash group-by is ~20× faster
    than np.unique(axis=0) here."""
    frame = pd.DataFrame({str(i): c for i, c in enumerate(columns)})
    codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    groups = int(codes.max()) + 1 if len(codes) else 0
    first = np.empty(groups, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return [c[first] for c in columns], codes


def _compress(columns: Sequence[FloatArray], w: FloatArray) -> tuple[list[FloatArray], FloatArray]:
    """Identical rows become one row with summed weight: the likelihood is a weighted sum,
    and real data on a daily grid repeat a lot."""
    distinct, codes = _distinct(columns)
    summed = np.bincount(codes, weights=w, minlength=len(distinct[0]))
    keep = summed > 0
    return [c[keep] for c in distinct], summed[keep]


# --------------------------------------------------------------------------------------------
# optimisation shared by both models


@dataclass(frozen=True)
class _Optimum:
    theta: FloatArray
    objective: float
    gradient: FloatArray
    hessian: FloatArray | None
    converged: bool
    at_bound: tuple[int, ...]
    message: str


def _hessian(gradient: Callable[[FloatArray], FloatArray], theta: FloatArray) -> FloatArray:
    """Central differences of the exact gradient: second-order accurate and cheap (2k
    gradient calls), which is plenty for Newton polishing and standard errors."""
    k = len(theta)
    h = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = _HESSIAN_STEP
        h[i] = (gradient(theta + e) - gradient(theta - e)) / (2 * _HESSIAN_STEP)
    return (h + h.T) / 2


def _newton_polish(
    fun: Objective, theta: FloatArray, bounds: FloatArray, max_steps: int = 12
) -> tuple[FloatArray, float, FloatArray, FloatArray | None]:
    """L-BFGS-B stops when its line search can no longer make progress in floating point;
    Newton steps take the optimum to the precision the Hessian allows. The Hessian costs 2k
    gradient calls, so it is reused (a chord method) while each step cuts the gradient at
    least fourfold, and recomputed otherwise."""
    f, g = fun(theta)
    hess = _hessian(lambda th: fun(th)[1], theta)
    refreshes = 0
    for _ in range(max_steps):
        if not np.all(np.isfinite(hess)) or np.any(np.linalg.eigvalsh(hess) <= 0):
            return theta, f, g, None
        size = float(np.max(np.abs(g)))
        if size < 1e-13:
            break
        proposal = np.clip(theta - np.linalg.solve(hess, g), bounds[:, 0], bounds[:, 1])
        f_new, g_new = fun(proposal)
        if not np.isfinite(f_new) or f_new > f + 1e-15 * max(1.0, abs(f)):
            break
        theta, f, g = proposal, f_new, g_new
        if float(np.max(np.abs(g))) > 0.25 * size:
            if refreshes == 3:
                break
            hess = _hessian(lambda th: fun(th)[1], theta)
            refreshes += 1
    return theta, f, g, hess


def _minimise_once(
    fun: Objective, start: FloatArray, bounds: FloatArray, max_iter: int, tol: float
) -> _Optimum:
    with np.errstate(all="ignore"):
        res = optimize.minimize(
            fun,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": max_iter, "ftol": tol, "gtol": _LBFGS_GTOL, "maxcor": 20},
        )
        theta = np.asarray(res.x, dtype=float)
        span = bounds[:, 1] - bounds[:, 0]
        at_bound = tuple(
            int(i)
            for i in np.flatnonzero(
                (theta - bounds[:, 0] < 1e-6 * span) | (bounds[:, 1] - theta < 1e-6 * span)
            )
        )
        if at_bound:
            f, g = fun(theta)
            hess = None
        else:
            theta, f, g, hess = _newton_polish(fun, theta, bounds)
    free = np.setdiff1d(np.arange(len(theta)), at_bound)
    finite = bool(np.isfinite(f) and np.all(np.isfinite(g)))
    converged = finite and (len(free) == 0 or float(np.max(np.abs(g[free]))) < _GRADIENT_GATE)
    return _Optimum(theta, float(f), g, hess, converged, at_bound, str(res.message))


def _minimise(
    fun: Objective, starts: Sequence[FloatArray], bounds: FloatArray, max_iter: int, tol: float
) -> _Optimum:
    """Refit from the next start when a fit fails or ends on a bound; keep the best.

    BLAS is held to one thread: the work is many small dot products and L-BFGS-B updates, for
    which OpenBLAS's thread start-up costs ~7× the arithmetic on a busy 2-core machine."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _minimise_starts(fun, starts, bounds, max_iter, tol)


def _minimise_starts(
    fun: Objective, starts: Sequence[FloatArray], bounds: FloatArray, max_iter: int, tol: float
) -> _Optimum:
    best: _Optimum | None = None
    for start in starts:
        found = _minimise_once(
            fun, np.clip(start, bounds[:, 0], bounds[:, 1]), bounds, max_iter, tol
        )
        if best is None or (found.converged, -found.objective) > (best.converged, -best.objective):
            best = found
        if found.converged and not found.at_bound:
            break
    assert best is not None
    return best


def _standard_errors(
    opt: _Optimum, fun: Objective, n: float, names: Sequence[str]
) -> dict[str, float]:
    """Delta method from the log-parameter Hessian of the total negative log-likelihood
    (at the optimum the gradient vanishes, so SE(θ) = θ · SE(log θ))."""
    hess = opt.hessian
    if hess is None:
        hess = _hessian(lambda th: fun(th)[1], opt.theta)
    try:
        cov = np.linalg.inv(hess * n)
        var = np.diag(cov)
    except np.linalg.LinAlgError:
        var = np.full(len(names), np.nan)
    se = np.exp(opt.theta) * np.sqrt(np.where(var > 0, var, np.nan))
    se[list(opt.at_bound)] = np.nan  # a bound, not the data, fixed these
    return {name: float(s) for name, s in zip(names, se, strict=True)}


def _summary_frame(params: dict[str, float], se: dict[str, float]) -> pd.DataFrame:
    frame = pd.DataFrame({"estimate": params, "standard_error": se})
    frame["lower_95"] = frame["estimate"] - 1.96 * frame["standard_error"]
    frame["upper_95"] = frame["estimate"] + 1.96 * frame["standard_error"]
    return frame


def _warn_unidentified(
    model: str, names: Sequence[str], opt: _Optimum, se: dict[str, float]
) -> None:
    """Warn when the data do not pin a parameter down: it ended on its search bound, or the
    optimiser stopped on a flat ridge (SciPy's L-BFGS-B may halt there short of the bound, e.g.
    with almost no drop-out), which shows as an undefined standard error."""
    loose = [names[i] for i in opt.at_bound]
    loose += [n for n in names if n not in loose and not math.isfinite(se[n])]
    if loose:
        where = "ended on the search bound" if opt.at_bound else "sit on a flat ridge"
        warnings.warn(
            f"{model}: parameter(s) {', '.join(loose)} {where}, so the data barely identify "
            "them (e.g. almost no drop-out); predictions are usable, standard errors are not. "
            "A small penalizer (0.001-0.1) keeps them finite.",
            ModelFitWarning,
            stacklevel=4,
        )


# --------------------------------------------------------------------------------------------
# BG/NBD


def _fit_and_store(
    model: Any,
    label: str,
    fun: Objective,
    starts: list[FloatArray],
    bounds: FloatArray,
    total: float,
    hint: str,
) -> None:
    """Minimise from every start and store the fitted state on ``model`` (shared by both
    models, so they report convergence, bounds and standard errors the same way)."""
    opt = _minimise(fun, starts, bounds, model.max_iter, model.tol)
    if not opt.converged:
        raise ModelInputError(
            f"{label} fit did not converge from {len(starts)} starting points (optimiser: "
            f"{opt.message}); {hint}, or set a small penalizer such as 0.001"
        )
    params = np.exp(opt.theta)
    model.params_ = dict(zip(model.param_names, map(float, params), strict=True))
    penalty = model.penalizer * float(params @ params)
    model.log_likelihood_ = -(opt.objective - penalty) * total
    model.n_customers_ = round(total)
    model.converged_ = True
    model.standard_errors_ = _standard_errors(opt, fun, total, model.param_names)
    _warn_unidentified(label, model.param_names, opt, model.standard_errors_)


@dataclass(frozen=True)
class _BetaGeoData:
    """Compressed rows split by whether the customer has repeated. Rows with x = 0 need only
    log(α+T); for repeaters every x-only term (gammaln, betaln, digamma) is computed once per
    distinct x and summed with per-x weight totals (bincount) instead of gathered per row."""

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    w: FloatArray
    total: float
    zero_T: FloatArray
    zero_w: FloatArray
    rep_x: FloatArray
    rep_tx: FloatArray
    rep_T: FloatArray
    rep_w: FloatArray
    levels: FloatArray
    level_of: NDArray[np.intp]
    level_w: FloatArray

    @classmethod
    def build(cls, x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray) -> _BetaGeoData:
        (x, t_x, T), w = _compress([x, t_x, T], w)
        total = float(w.sum())
        rep = x > 0
        levels, level_of = np.unique(x[rep], return_inverse=True)
        rep_w = w[rep] / total
        return cls(
            x,
            t_x,
            T,
            w,
            total,
            zero_T=T[~rep],
            zero_w=w[~rep] / total,
            rep_x=x[rep],
            rep_tx=t_x[rep],
            rep_T=T[rep],
            rep_w=rep_w,
            levels=levels,
            level_of=level_of,
            level_w=np.bincount(level_of, weights=rep_w, minlength=len(levels)),
        )


def _bg_negloglik(
    theta: FloatArray, d: _BetaGeoData, penalizer: float = 0.0
) -> tuple[float, FloatArray]:
    """Mean negative log-likelihood of BG/NBD and its exact gradient in log-parameters.

    L = B(a, b+x)/B(a,b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + [x>0] B(a+1, b+x-1)/B(a,b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))
    With x = 0 this is (α/(α+T))^r. For repeaters the two terms t1, t2 are combined by
    log-sum-exp; the share w2 = e^t2 / (e^t1 + e^t2) carries the gradient of the log of the
    sum (w1 = 1 - w2).
    """
    r, alpha, a, b = np.exp(theta)
    log_alpha = math.log(alpha)

    # customers without repeat purchases
    log_at_T0 = np.log(alpha + d.zero_T)
    ll = r * (float(d.zero_w.sum()) * log_alpha - float(d.zero_w @ log_at_T0))
    g_r = float(d.zero_w.sum()) * log_alpha - float(d.zero_w @ log_at_T0)
    g_alpha = r * (float(d.zero_w.sum()) / alpha - float(d.zero_w @ (1.0 / (alpha + d.zero_T))))
    g_a = g_b = 0.0

    if len(d.rep_x):
        lv, k, w = d.levels, d.level_of, d.rep_w
        w_rep = float(w.sum())
        dig_abx = special.digamma(a + b + lv)
        da1 = special.digamma(a) - dig_abx
        da2 = special.digamma(a + 1) - dig_abx
        db1 = special.digamma(b + lv) - dig_abx
        db2 = special.digamma(b + lv - 1) - dig_abx
        rx = r + d.rep_x
        log_at_T = np.log(alpha + d.rep_T)
        log_at_tx = np.log(alpha + d.rep_tx)
        t1 = special.betaln(a, b + lv)[k] - rx * log_at_T
        t2 = special.betaln(a + 1, b + lv - 1)[k] - rx * log_at_tx
        gap = t2 - t1
        small = np.exp(-np.abs(gap))
        lse = np.maximum(t1, t2) + np.log1p(small)
        w2 = np.where(gap > 0, 1.0, small) / (1.0 + small)
        ww2 = w * w2
        v2 = np.bincount(k, weights=ww2, minlength=len(lv))
        inv_T = 1.0 / (alpha + d.rep_T)
        inv_tx = 1.0 / (alpha + d.rep_tx)
        lw = d.level_w
        const_a = special.digamma(a) - special.digamma(a + b)
        const_b = special.digamma(b) - special.digamma(a + b)
        ll += (
            (special.gammaln(r + lv) - special.gammaln(r)) @ lw
            + w_rep * (r * log_alpha - special.betaln(a, b))
            + float(w @ lse)
        )
        g_r += (
            (special.digamma(r + lv) - special.digamma(r)) @ lw
            + w_rep * log_alpha
            - float(w @ log_at_T)
            - float(ww2 @ (log_at_tx - log_at_T))
        )
        g_alpha += (
            w_rep * r / alpha - float((w * rx) @ inv_T) - float((ww2 * rx) @ (inv_tx - inv_T))
        )
        g_a = -w_rep * const_a + da1 @ lw + (da2 - da1) @ v2
        g_b = -w_rep * const_b + db1 @ lw + (db2 - db1) @ v2

    params = np.array([r, alpha, a, b])
    value = -float(ll) + penalizer * float(params @ params)
    grad = -np.array([g_r, g_alpha, g_a, g_b], dtype=float) * params
    grad += 2 * penalizer * params * params
    return value, grad


def _bg_starts(d: _BetaGeoData) -> tuple[list[FloatArray], FloatArray]:
    """Starting points from the data's repeat-purchase rate (α carries the time unit, so it
    must start on the right scale) and bounds wide enough for any sensible time unit."""
    rate = max(float(d.w @ d.x) / max(float(d.w @ d.T), 1e-12), 1e-8)
    alpha0 = 1.0 / rate
    base = np.log([1.0, alpha0, 1.0, 3.0])
    starts = [
        base,
        np.log([0.3, 0.3 * alpha0, 0.7, 2.0]),
        np.log([3.0, 3.0 * alpha0, 2.0, 10.0]),
        np.log([0.1, 0.05 * alpha0, 0.3, 0.6]),
    ]
    lo, hi = math.log(1e-6), math.log(1e6)
    la = math.log(alpha0)
    bounds = np.array([[lo, hi], [la - 18.0, la + 18.0], [lo, hi], [lo, hi]])
    return starts, bounds


def _require_fitted(model: Any) -> None:
    if getattr(model, "params_", None) is None:
        raise ModelInputError(
            f"{type(model).__name__} is not fitted yet: call .fit(...) (or .from_params(...)) "
            "before predicting"
        )


def _given_alive_closed_form(
    t: FloatArray, shape: FloatArray, rate: FloatArray, a: float, b_post: FloatArray
) -> FloatArray:
    """E[purchases in t | alive] with λ ~ Gamma(shape, rate), p ~ Beta(a, b_post):
    (a+b_post-1)/(a-1) · [1 - (rate/(rate+t))^shape · 2F1(shape, b_post; a+b_post-1; t/(rate+t))]
    (FHL 2005 eq. 9 and 10)."""
    c = a + b_post - 1
    lead = np.exp(shape * (np.log(rate) - np.log(rate + t)))
    hyp = special.hyp2f1(shape, b_post, c, t / (rate + t))
    return (c / (a - 1)) * (1 - lead * hyp)


def _given_alive_quadrature(
    t: FloatArray, shape: FloatArray, rate: FloatArray, a: float, b_post: FloatArray
) -> FloatArray:
    """The same expectation as E_p[f(p)], f(p) = (1 - (rate/(rate + p·t))^shape) / p, over
    p ~ Beta(a, b_post), by quadrature. Used where 2F1 overflows or cancels (a ≈ 1, huge
    shape·t/rate).

    f is flat up to p ≈ rate/(shape·t) and ~1/p beyond, and the Beta density may be singular
    at either end, so [0, ½] is integrated in ln p and [½, 1] in ln(1-p) with Gauss-Legendre
    (both smooth there), plus the analytic contribution of the last 1e-12 (resp. 1e-16)
    sliver where the integrand is a pure power."""
    nodes, weights = _LEGENDRE
    out = np.empty(len(t))
    half = math.log(0.5)
    for chunk in np.array_split(np.arange(len(t)), max(1, len(t) // 10_000)):
        k = (t[chunk] / rate[chunk])[:, None]
        s = shape[chunk][:, None]
        bp = b_post[chunk][:, None]
        log_norm = special.betaln(a, bp)
        slope = np.maximum(s * k, 1e-300)  # f(0)

        def gain(p: FloatArray, k: FloatArray = k, s: FloatArray = s) -> FloatArray:
            return -np.expm1(-s * np.log1p(p * k)) / p

        low = np.log(1e-12 * np.minimum(1.0, 1.0 / slope))
        span = (half - low) / 2
        v = low + span * (nodes + 1)
        p = np.exp(v)
        dens = np.exp(a * v + (bp - 1) * np.log1p(-p) - log_norm)
        left = span[:, 0] * ((dens * gain(p)) @ weights)
        left += (slope * np.exp(a * low - log_norm) / a)[:, 0]

        low_q = math.log(1e-16)
        u = low_q + (half - low_q) / 2 * (nodes + 1)
        q = np.exp(u)
        dens = np.exp(bp * u + (a - 1) * np.log1p(-q) - log_norm)
        right = (half - low_q) / 2 * ((dens * gain(1 - q)) @ weights)
        right += (gain(np.ones(1)) * np.exp(bp * low_q - log_norm) / bp)[:, 0]
        out[chunk] = left + right
    return out


def _given_alive(
    t: ArrayLike, shape: ArrayLike, rate: ArrayLike, a: float, b_post: ArrayLike
) -> FloatArray:
    """Closed form where it is trustworthy, quadrature elsewhere; never NaN/inf.

    The result must lie in [0, shape·t/rate] (no drop-out gives the upper bound), which
    catches 2F1 overflow and cancellation."""
    t, shape, rate, b_post = (
        np.asarray(v, dtype=float) for v in np.broadcast_arrays(t, shape, rate, b_post)
    )
    out_shape = t.shape
    t, shape, rate, b_post = (v.ravel() for v in (t, shape, rate, b_post))
    upper = shape * t / rate
    with np.errstate(all="ignore"):
        if abs(a - 1.0) > 1e-3:
            value = _given_alive_closed_form(t, shape, rate, a, b_post)
        else:
            value = np.full(len(t), np.nan)
        suspect = ~np.isfinite(value) | (value < -1e-12) | (value > upper * (1 + 1e-9) + 1e-12)
        if suspect.any():
            value[suspect] = _given_alive_quadrature(
                t[suspect], shape[suspect], rate[suspect], a, b_post[suspect]
            )
    value = np.clip(np.nan_to_num(value, nan=0.0, posinf=0.0), 0.0, upper)
    return value.reshape(out_shape)


class _GivenAlive:
    """E[purchases in t | alive] per customer depends on (x, T) only, which repeat far more
    than (x, t_x, T) on a daily grid: evaluate 2F1 once per distinct pair and gather."""

    def __init__(self, x: FloatArray, age: FloatArray, params: tuple[float, ...]) -> None:
        self.r, self.alpha, self.a, self.b = params
        self.customers = (x, age)
        self.distinct: tuple[FloatArray, FloatArray, NDArray[np.intp]] | None = None
        if len(x) > 10_000:
            (ux, uage), codes = _distinct([x, age])
            if len(ux) < len(x) // 2:
                self.distinct = (ux, uage, codes)

    def __call__(self, t: FloatArray) -> FloatArray:
        if self.distinct is not None and np.ndim(t) == 0:
            x, age, codes = self.distinct
            return self._evaluate(t, x, age)[codes]
        return self._evaluate(t, *self.customers)

    def _evaluate(self, t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
        return _given_alive(t, self.r + x, self.alpha + age, self.a, self.b + x)


class _ParametricModel:
    """What both models share: known parameters in, and a readable repr."""

    param_names: tuple[str, ...] = ()
    model_name = ""
    penalizer: float
    params_: dict[str, float] | None
    n_customers_: int

    @classmethod
    def _with_params(cls, values: list[float]):
        arr = np.array(values, dtype=float)
        if not np.all(np.isfinite(arr) & (arr > 0)):
            raise ModelInputError(
                f"{cls.model_name} parameters must be finite and > 0; got {arr.tolist()}"
            )
        model = cls()
        model.params_ = dict(zip(cls.param_names, map(float, arr), strict=True))
        model.converged_ = True
        return model

    def __repr__(self) -> str:
        name = type(self).__name__
        if self.params_ is None:
            return f"{name}(penalizer={self.penalizer})"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"{name}({shown}, n={self.n_customers_})"


class BetaGeo(_ParametricModel):
    """BG/NBD model of repeat purchasing and drop-out, scikit-learn style.

    ``penalizer`` adds ``penalizer · (r² + α² + a² + b²)`` to the mean negative
    log-likelihood (as lifetimes does); it keeps parameters finite when the data barely
    identify drop-out. ``max_iter`` and ``tol`` (relative objective change) go to L-BFGS-B;
    the final digits come from Newton polishing, whatever ``tol`` is.

    After ``fit``: ``params_`` {r, alpha, a, b}, ``log_likelihood_`` (total, without the
    penalty), ``n_customers_`` (sum of weights), ``n_rows_`` (distinct rows after
    compression), ``converged_``, ``standard_errors_`` (NaN for a parameter on its bound).
    """

    param_names = ("r", "alpha", "a", "b")
    model_name = "BG/NBD"

    def __init__(self, penalizer: float = 0.0, max_iter: int = 1000, tol: float = 1e-10) -> None:
        if not (math.isfinite(penalizer) and penalizer >= 0):
            raise ModelInputError(f"penalizer must be a finite number ≥ 0; got {penalizer}")
        self.penalizer = float(penalizer)
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.params_: dict[str, float] | None = None
        self.log_likelihood_: float = float("nan")
        self.n_customers_: int = 0
        self.n_rows_: int = 0
        self.converged_: bool = False
        self.standard_errors_: dict[str, float] = {}

    @classmethod
    def from_params(cls, r: float, alpha: float, a: float, b: float) -> BetaGeo:
        """A model with known parameters (stored from an earlier fit, or from a paper)."""
        return cls._with_params([r, alpha, a, b])

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        weights: ArrayLike | None = None,
        *,
        sample_size: int | None = None,
        seed: int = 0,
    ) -> BetaGeo:
        """Maximum likelihood fit. ``weights`` count identical customers; identical rows are
        also merged internally. ``sample_size`` fits on that many randomly chosen customers
        (the estimates' error shrinks as 1/√n, so a few hundred thousand are plenty)."""
        x, tx, age = _rfm(frequency, recency, T)
        w = _weights(weights, len(x))
        if len(x) == 1:
            raise ModelInputError("BG/NBD needs many customers to fit; got 1")
        if sample_size is not None and len(x) > sample_size:
            if sample_size < 2:
                raise ModelInputError(f"sample_size must be at least 2; got {sample_size}")
            pick = np.random.default_rng(seed).choice(len(x), size=sample_size, replace=False)
            x, tx, age, w = x[pick], tx[pick], age[pick], w[pick]
        data = _BetaGeoData.build(x, tx, age, w)
        if len(data.x) == 1:
            raise ModelInputError(
                f"all {len(x)} customers have the same (frequency, recency, T) = "
                f"({data.x[0]:g}, {data.t_x[0]:g}, {data.T[0]:g}); four parameters cannot be "
                "estimated from one pattern — check the summary was built per customer"
            )
        if not np.any((data.x > 0) & (data.w > 0)):
            raise ModelInputError(
                f"no customer has a repeat purchase (frequency is 0 for all {len(x)}): drop-out "
                "cannot be estimated; use a longer observation period or more customers"
            )

        def fun(theta: FloatArray) -> tuple[float, FloatArray]:
            return _bg_negloglik(theta, data, self.penalizer)

        starts, bounds = _bg_starts(data)
        _fit_and_store(
            self,
            "BG/NBD",
            fun,
            starts,
            bounds,
            data.total,
            "check frequency/recency/T share one time unit",
        )
        self.n_rows_ = len(data.x)
        return self

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and Wald 95% intervals."""
        _require_fitted(self)
        assert self.params_ is not None
        return _summary_frame(self.params_, self.standard_errors_)

    def _p(self) -> tuple[float, float, float, float]:
        _require_fitted(self)
        assert self.params_ is not None
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def p_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:
        """P(still active at T | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((α+T)/(α+t_x))^(r+x)),
        evaluated through log-odds so long inactive spells do not overflow. Customers with no
        repeat purchase are alive by construction of the model (drop-out follows purchases)."""
        r, alpha, a, b = self._p()
        x, tx, age = _rfm(frequency, recency, T)
        return self._p_alive(x, tx, age, r, alpha, a, b)

    def p_alive_comparable(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """P(alive), except that a customer with no repeat purchase may also have left right
        after the first one, with the same drop-out chance p ~ Beta(a, b) as after any other
        (the MBG/NBD assumption, Batislam et al. 2007): 1 / (1 + a/b · ((α+T)/α)^r).

        Plain BG/NBD rates every one-time buyer alive with certainty however long ago they
        bought, so their churn risk (0) cannot be compared with a repeat buyer's, and a
        group of lapsed one-timers looks safer than the loyal customers. This is used for
        the P(alive) and churn risk a reader sees; expected purchases and CLV keep the fitted
        model's own terms."""
        r, alpha, a, b = self._p()
        x, tx, age = _rfm(frequency, recency, T)
        alive = self._p_alive(x, tx, age, r, alpha, a, b)
        log_odds = math.log(a) - math.log(b) + r * (np.log(alpha + age) - math.log(alpha))
        return np.where(x > 0, alive, special.expit(-log_odds))

    @staticmethod
    def _p_alive(
        x: FloatArray, tx: FloatArray, age: FloatArray, r: float, alpha: float, a: float, b: float
    ) -> FloatArray:
        rep = x > 0
        denom = np.where(rep, b + x - 1, 1.0)
        log_odds = (
            math.log(a) - np.log(denom) + (r + x) * (np.log(alpha + age) - np.log(alpha + tx))
        )
        return np.where(rep, special.expit(-log_odds), 1.0)

    def expected_purchases_population(self, t: ArrayLike) -> float | FloatArray:
        """E[X(t)]: purchases a new customer makes in their first t time units (excluding the
        first purchase)."""
        r, alpha, a, b = self._p()
        horizon = _horizon(t)
        value = _given_alive(horizon, r, alpha, a, b)
        return float(value) if value.ndim == 0 else value

    def predict_purchases(
        self,
        t: ArrayLike,
        frequency: ArrayLike | None = None,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
    ) -> float | FloatArray:
        """Expected purchases in the next t time units per customer, E[Y(t) | x, t_x, T] =
        P(alive) · E[Y(t) | alive] with the posterior λ ~ Gamma(r+x, α+T), p ~ Beta(a, b+x).
        Without customer arrays: E[X(t)] for a new customer. ``t`` broadcasts against the
        customers."""
        given = [v is not None for v in (frequency, recency, T)]
        if not any(given):
            return self.expected_purchases_population(t)
        if not all(given):
            raise ModelInputError("pass frequency, recency and T together (or none of them)")
        r, alpha, a, b = self._p()
        x, tx, age = _rfm(frequency, recency, T)  # type: ignore[arg-type]
        horizon = _horizon(t)
        alive = self._p_alive(x, tx, age, r, alpha, a, b)
        return alive * _GivenAlive(x, age, (r, alpha, a, b))(horizon)


# --------------------------------------------------------------------------------------------
# Gamma-Gamma


@dataclass(frozen=True)
class _GammaGammaData:
    x: FloatArray
    m: FloatArray
    w: FloatArray
    log_x: FloatArray
    log_m: FloatArray
    total: float

    @classmethod
    def build(cls, x: FloatArray, m: FloatArray, w: FloatArray) -> _GammaGammaData:
        (x, m), w = _compress([x, m], w)
        return cls(x, m, w, np.log(x), np.log(m), float(w.sum()))


def _gg_negloglik(
    theta: FloatArray, d: _GammaGammaData, penalizer: float = 0.0
) -> tuple[float, FloatArray]:
    """Mean negative log-likelihood of the mean spend z̄ of x transactions and its exact
    gradient in log-parameters:
    f(z̄) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q z̄^(px-1) x^(px) / (γ + x z̄)^(px+q)."""
    p, q, v = np.exp(theta)
    px = p * d.x
    log_v = math.log(v)
    log_vxm = np.log(v + d.x * d.m)
    dig_pxq = special.digamma(px + q)
    ll = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * log_v
        + (px - 1) * d.log_m
        + px * d.log_x
        - (px + q) * log_vxm
    )
    g_p = d.x * (dig_pxq - special.digamma(px) + d.log_m + d.log_x - log_vxm)
    g_q = dig_pxq - special.digamma(q) + log_v - log_vxm
    g_v = q / v - (px + q) / (v + d.x * d.m)
    w = d.w / d.total
    params = np.array([p, q, v])
    value = -float(w @ ll) + penalizer * float(params @ params)
    grad = -np.array([w @ g_p, w @ g_q, w @ g_v]) * params + 2 * penalizer * params * params
    return value, grad


def _gg_starts(d: _GammaGammaData) -> tuple[list[FloatArray], FloatArray]:
    """Moments: across customers mean spend is roughly p/ν with ν ~ Gamma(q, γ), whose squared
    coefficient of variation is 1/(q-2); γ then follows from the mean pγ/(q-1)."""
    w = d.w / d.total
    mean = float(w @ d.m)
    var = float(w @ (d.m - mean) ** 2)
    cv2 = max(var / mean**2, 1e-6)
    q0 = float(np.clip(2.0 + 1.0 / cv2, 2.5, 50.0))
    starts = []
    for p0, q_scale in ((1.0, 1.0), (5.0, 1.0), (0.5, 0.5), (20.0, 3.0)):
        q = max(q0 * q_scale, 1.5)
        starts.append(np.log([p0, q, mean * (q - 1) / p0]))
    lo, hi = math.log(1e-6), math.log(1e6)
    lv = math.log(mean)
    bounds = np.array([[lo, hi], [lo, hi], [lv - 25.0, lv + 25.0]])
    return starts, bounds


def _spend_inputs(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Monetary values are required only for repeat buyers (frequency 0 has no repeat spend,
    so NaN is allowed there)."""
    x = _vector(frequency, "frequency")
    m = _vector(monetary_value, "monetary_value")
    _same_lengths({"frequency": x, "monetary_value": m})
    _check_frequency(x)
    repeat = x > 0
    _require_finite(m, "monetary_value", allowed=~repeat)
    bad = repeat & ~(m > 0)
    if bad.any():
        i = _first(bad)
        raise ModelInputError(
            f"monetary_value must be positive for repeat buyers (it is their mean spend per "
            f"repeat transaction); {int(bad.sum())} have ≤ 0 (first at position {i}: {m[i]:g}) — "
            "drop refund-only customers or use gross order values"
        )
    return x, np.where(repeat, m, 0.0)


class GammaGamma(_ParametricModel):
    """Gamma-Gamma model of spend per transaction, fitted on repeat buyers only.

    Same fitting machinery and attributes as :class:`BetaGeo`, with ``params_`` {p, q, v}
    (v is the paper's γ, in money units) and ``n_customers_`` counting repeat buyers.
    """

    param_names = ("p", "q", "v")
    model_name = "Gamma-Gamma"

    def __init__(self, penalizer: float = 0.0, max_iter: int = 1000, tol: float = 1e-10) -> None:
        if not (math.isfinite(penalizer) and penalizer >= 0):
            raise ModelInputError(f"penalizer must be a finite number ≥ 0; got {penalizer}")
        self.penalizer = float(penalizer)
        self.max_iter = int(max_iter)
        self.tol = float(tol)
        self.params_: dict[str, float] | None = None
        self.log_likelihood_: float = float("nan")
        self.n_customers_: int = 0
        self.converged_: bool = False
        self.standard_errors_: dict[str, float] = {}

    @classmethod
    def from_params(cls, p: float, q: float, v: float) -> GammaGamma:
        """A model with known parameters."""
        return cls._with_params([p, q, v])

    def fit(
        self, frequency: ArrayLike, monetary_value: ArrayLike, weights: ArrayLike | None = None
    ) -> GammaGamma:
        """Maximum likelihood on customers with frequency > 0; ``monetary_value`` is their
        mean spend per repeat transaction (the first purchase excluded, as in the paper)."""
        x, m = _spend_inputs(frequency, monetary_value)
        w = _weights(weights, len(x))
        keep = (x > 0) & (w > 0)
        buyers = int(keep.sum())
        if buyers == 0:
            raise ModelInputError(
                f"Gamma-Gamma needs repeat buyers (frequency > 0); none of the {len(x)} "
                "customers has a repeat purchase"
            )
        if buyers == 1:
            raise ModelInputError("Gamma-Gamma needs at least 2 repeat buyers to fit; got 1")
        data = _GammaGammaData.build(x[keep], m[keep], w[keep])
        if np.ptp(data.m) == 0:
            raise ModelInputError(
                f"all {buyers} repeat buyers have the same monetary_value ({data.m[0]:g}); the "
                "spread of spend between customers is what the model estimates"
            )

        def fun(theta: FloatArray) -> tuple[float, FloatArray]:
            return _gg_negloglik(theta, data, self.penalizer)

        starts, bounds = _gg_starts(data)
        _fit_and_store(
            self,
            "Gamma-Gamma",
            fun,
            starts,
            bounds,
            data.total,
            "check monetary_value is the mean spend per repeat transaction",
        )
        if self.params_["q"] <= 1:
            warnings.warn(
                f"Gamma-Gamma: q = {self.params_['q']:.3g} ≤ 1, so the population mean spend is "
                "infinite; expected_spend is defined only for repeat buyers",
                ModelFitWarning,
                stacklevel=2,
            )
        return self

    def summary(self) -> pd.DataFrame:
        """Estimates with standard errors and Wald 95% intervals."""
        _require_fitted(self)
        assert self.params_ is not None
        return _summary_frame(self.params_, self.standard_errors_)

    @property
    def population_mean_spend(self) -> float:
        """E[spend per transaction] for a customer we know nothing about: pγ/(q-1)."""
        _require_fitted(self)
        assert self.params_ is not None
        p, q, v = self.params_["p"], self.params_["q"], self.params_["v"]
        return p * v / (q - 1) if q > 1 else float("inf")

    def expected_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> FloatArray:
        """Posterior mean spend per transaction, p(γ + x z̄)/(px + q - 1): a weighted average of
        the population mean and the customer's own mean, trusting the latter more the more
        transactions back it. Frequency 0 gives the population mean."""
        _require_fitted(self)
        assert self.params_ is not None
        p, q, v = self.params_["p"], self.params_["q"], self.params_["v"]
        x, m = _spend_inputs(frequency, monetary_value)
        denom = p * x + q - 1
        if np.any(denom <= 0):
            raise ModelInputError(
                f"expected spend is infinite for customers with p·x + q ≤ 1 (q = {q:.3g}; "
                "frequency-0 customers when q ≤ 1): score repeat buyers only or refit with a "
                "penalizer"
            )
        return p * (v + x * m) / denom


# --------------------------------------------------------------------------------------------
# independence check


@dataclass(frozen=True)
class IndependenceCheck:
    """Correlation between repeat frequency and mean spend among repeat buyers; Gamma-Gamma
    assumes none (FHL 2005 report 0.11 on CDNOW)."""

    pearson_r: float
    spearman_rho: float
    n: int
    p_value: float
    verdict: str

    @property
    def independent(self) -> bool:
        return abs(self.pearson_r) < 0.3

    def __str__(self) -> str:
        return (
            f"frequency vs spend over {self.n} repeat buyers: Pearson r = {self.pearson_r:.3f} "
            f"(p = {self.p_value:.3g}), Spearman ρ = {self.spearman_rho:.3f} — {self.verdict}"
        )


def spend_frequency_correlation(
    frequency: ArrayLike, monetary_value: ArrayLike
) -> IndependenceCheck:
    """Check the Gamma-Gamma independence assumption on repeat buyers (|r| < 0.3 is treated
    as independent enough, the usual rule of thumb)."""
    x, m = _spend_inputs(frequency, monetary_value)
    keep = x > 0
    n = int(keep.sum())
    if n < 3:
        raise ModelInputError(f"the independence check needs at least 3 repeat buyers; got {n}")
    xs, ms = x[keep], m[keep]
    if np.ptp(xs) == 0 or np.ptp(ms) == 0:
        which = "frequency" if np.ptp(xs) == 0 else "monetary_value"
        raise ModelInputError(
            f"{which} is the same for all {n} repeat buyers, so a correlation is undefined"
        )
    pearson = stats.pearsonr(xs, ms)
    spearman = stats.spearmanr(xs, ms)
    r = float(pearson.statistic)
    if abs(r) < 0.3:
        verdict = "independent enough"
    else:
        direction = "more" if r > 0 else "less"
        verdict = (
            f"warning: frequent buyers spend {direction} per transaction (r = {r:.2f}); "
            "the Gamma-Gamma independence assumption does not hold, so CLV will be biased — "
            "segment customers or model spend jointly with frequency"
        )
    return IndependenceCheck(r, float(spearman.statistic), n, float(pearson.pvalue), verdict)


# --------------------------------------------------------------------------------------------
# CLV


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _positive(name: str, value: Any) -> float:
    number = _number(value)
    if not (math.isfinite(number) and number > 0):
        raise ModelInputError(f"{name} must be a positive number; got {value!r}")
    return number


def customer_lifetime_value(
    bg: BetaGeo,
    gg: GammaGamma,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    horizon: float = 12,
    period_length: float = 30.4375,
    discount_rate: float = 0.01,
    time_unit_days: float = 1.0,
) -> FloatArray:
    """Discounted expected spend over the next ``horizon`` periods.

    CLV = Σ_{i=1..horizon} (E[Y(i·s)] − E[Y((i−1)·s)]) · E[spend] / (1 + discount_rate)^i,
    with s = period_length / time_unit_days the period in the model's time unit.

    Units: ``period_length`` is the length of one period in days (default an average month,
    30.4375 days); ``time_unit_days`` is how many days one unit of frequency/recency/T spans
    (1 for days, 7 for weeks); ``discount_rate`` is per period; ``horizon`` counts periods
    (a fractional last period is included, discounted as a whole period). Margins are not
    applied: multiply by a margin for profit rather than revenue. lifetimes'
    ``customer_lifetime_value`` is the same sum with a month of 30 days (freq "D") or 4.345
    weeks (freq "W"): pass ``period_length=30`` or ``4.345 * 7`` to reproduce it.
    """
    horizon = _positive("horizon", horizon)
    period_length = _positive("period_length", period_length)
    time_unit_days = _positive("time_unit_days", time_unit_days)
    rate = _number(discount_rate)
    if not (math.isfinite(rate) and rate > -1):
        raise ModelInputError(f"discount_rate must be > -1 (per period); got {discount_rate!r}")
    x, tx, age = _rfm(frequency, recency, T)
    spend = gg.expected_spend(x, monetary_value)
    step = period_length / time_unit_days
    whole = math.floor(horizon + 1e-9)
    ends = [step * i for i in range(1, whole + 1)]
    if horizon - whole > 1e-9:
        ends.append(step * horizon)
    r, alpha, a, b = bg._p()
    alive = bg._p_alive(x, tx, age, r, alpha, a, b)
    given_alive = _GivenAlive(x, age, (r, alpha, a, b))
    value = np.zeros(len(x))
    previous = np.zeros(len(x))
    for i, end in enumerate(ends, start=1):
        cumulative = alive * given_alive(np.asarray(end))
        value += (cumulative - previous) / (1 + rate) ** i
        previous = cumulative
    return value * spend


# --------------------------------------------------------------------------------------------
# transactions → per-customer summaries


def _as_day(value: Any, name: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ModelInputError(f"{name} must be a date; got {value!r}") from exc
    if pd.isna(stamp):
        raise ModelInputError(f"{name} must be a date; got {value!r}")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.normalize()


def _purchase_days(
    transactions: pd.DataFrame, customer_col: str, date_col: str, monetary_col: str | None
) -> pd.DataFrame:
    """One row per customer and purchase day (several orders on one day are one purchase, as
    in the BG/NBD paper), spend summed over the day."""
    wanted = [c for c in (customer_col, date_col, monetary_col) if c is not None]
    missing = [c for c in wanted if c not in transactions.columns]
    if missing:
        raise ModelInputError(
            f"transactions has no column(s) {missing}; available: {list(transactions.columns)}"
        )
    if transactions.empty:
        raise ModelInputError("transactions is empty: no purchases to summarise")
    dates = pd.to_datetime(transactions[date_col], errors="coerce")
    if dates.isna().any():
        raise ModelInputError(
            f"{date_col} has {int(dates.isna().sum())} missing or unparseable date(s); parse "
            "them (pd.to_datetime with a format) or drop those rows"
        )
    if dates.dt.tz is not None:
        dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
    customers = transactions[customer_col]
    if customers.isna().any():
        raise ModelInputError(f"{customer_col} has {int(customers.isna().sum())} missing id(s)")
    frame = pd.DataFrame({"customer": customers.to_numpy(), "day": dates.dt.normalize().to_numpy()})
    if monetary_col is not None:
        spend = pd.to_numeric(transactions[monetary_col], errors="coerce")
        if spend.isna().any():
            raise ModelInputError(
                f"{monetary_col} has {int(spend.isna().sum())} missing or non-numeric value(s)"
            )
        frame["value"] = spend.to_numpy(dtype=float)
    else:
        frame["value"] = 0.0
    return frame.groupby(["customer", "day"], sort=True, as_index=False)["value"].sum()


def _summarise_days(daily: pd.DataFrame, end: pd.Timestamp, unit_days: float) -> pd.DataFrame:
    """frequency/recency/T and repeat-only mean spend from purchase days up to ``end``."""
    seen = daily[daily["day"] <= end]
    by = seen.groupby("customer", sort=True)
    first = by["day"].min()
    unit = pd.Timedelta(days=unit_days)
    frequency = by.size() - 1
    first_value = by["value"].first()
    repeat_spend = by["value"].sum() - first_value
    out = pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": (by["day"].max() - first) / unit,
            "T": (end - first) / unit,
            "monetary_value": np.where(frequency > 0, repeat_spend / frequency.clip(lower=1), 0.0),
        }
    )
    out.index.name = "customer"
    return out


def summarise_transactions(
    transactions: pd.DataFrame,
    customer_col: str,
    date_col: str,
    observation_end: Any = None,
    time_unit_days: float = 1.0,
    monetary_col: str | None = None,
) -> pd.DataFrame:
    """Per customer: frequency (distinct purchase days after the first), recency and T in
    units of ``time_unit_days`` days, and — with ``monetary_col`` — monetary_value, the mean
    spend per repeat purchase day (0 without repeats), the Gamma-Gamma input.
    ``observation_end`` defaults to the last transaction date; later transactions are
    ignored."""
    time_unit_days = _positive("time_unit_days", time_unit_days)
    daily = _purchase_days(transactions, customer_col, date_col, monetary_col)
    end = (
        daily["day"].max()
        if observation_end is None
        else _as_day(observation_end, "observation_end")
    )
    out = _summarise_days(daily, end, time_unit_days)
    if out.empty:
        raise ModelInputError(f"no transactions on or before observation_end {end.date()}")
    return out if monetary_col is not None else out.drop(columns="monetary_value")


def calibration_holdout(
    transactions: pd.DataFrame,
    customer_col: str,
    date_col: str,
    calibration_end: Any,
    observation_end: Any,
    time_unit_days: float = 7,
    monetary_col: str | None = None,
) -> pd.DataFrame:
    """Split each customer's history at ``calibration_end`` (inclusive) for out-of-sample
    validation: calibration frequency_cal/recency_cal/T_cal (customers whose first purchase
    is after the calibration end are left out), then frequency_holdout — purchase days in
    (calibration_end, observation_end] — and duration_holdout, all in ``time_unit_days``
    units (weeks by default, as in the paper)."""
    time_unit_days = _positive("time_unit_days", time_unit_days)
    cal_end = _as_day(calibration_end, "calibration_end")
    obs_end = _as_day(observation_end, "observation_end")
    if obs_end <= cal_end:
        raise ModelInputError(
            f"observation_end ({obs_end.date()}) must be after calibration_end ({cal_end.date()})"
        )
    daily = _purchase_days(transactions, customer_col, date_col, monetary_col)
    cal = _summarise_days(daily, cal_end, time_unit_days)
    if cal.empty:
        raise ModelInputError(f"no customer made a purchase on or before {cal_end.date()}")
    cal.columns = [f"{c}_cal" for c in cal.columns]
    later = daily[(daily["day"] > cal_end) & (daily["day"] <= obs_end)]
    by = later.groupby("customer")
    hold = pd.DataFrame({"frequency_holdout": by.size(), "holdout_spend": by["value"].sum()})
    out = cal.join(hold, how="left")
    out["frequency_holdout"] = out["frequency_holdout"].fillna(0).astype(np.int64)
    out["duration_holdout"] = (obs_end - cal_end) / pd.Timedelta(days=time_unit_days)
    if monetary_col is None:
        return out.drop(columns=["monetary_value_cal", "holdout_spend"])
    spend = out.pop("holdout_spend").fillna(0.0)
    out["monetary_value_holdout"] = np.where(
        out["frequency_holdout"] > 0, spend / out["frequency_holdout"].clip(lower=1), 0.0
    )
    return out


def holdout_comparison(bg: BetaGeo, summary: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases by calibration frequency (the last bucket
    pools ``max_frequency`` and more), the paper's conditional-expectation check."""
    needed = ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"]
    missing = [c for c in needed if c not in summary.columns]
    if missing:
        raise ModelInputError(f"summary lacks {missing}; build it with calibration_holdout()")
    if max_frequency < 1:
        raise ModelInputError(f"max_frequency must be at least 1; got {max_frequency}")
    predicted = bg.predict_purchases(
        summary["duration_holdout"].to_numpy(dtype=float),
        summary["frequency_cal"],
        summary["recency_cal"],
        summary["T_cal"],
    )
    bucket = np.minimum(summary["frequency_cal"].to_numpy(dtype=np.int64), max_frequency)
    frame = pd.DataFrame(
        {
            "frequency_cal": bucket,
            "actual": summary["frequency_holdout"].to_numpy(dtype=float),
            "predicted": predicted,
        }
    )
    out = frame.groupby("frequency_cal").agg(
        customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean")
    )
    out = out.reset_index()
    out.insert(
        1,
        "label",
        [f"{k}+" if k == max_frequency else str(k) for k in out["frequency_cal"]],
    )
    return out


def holdout_chart(comparison: pd.DataFrame, path: str | Path) -> Path:
    """Line chart of actual vs predicted holdout purchases, rendered offline by vl-convert to
    SVG (``.svg``) or PNG (``.png``); no CDN, no browser."""
    import altair as alt
    import vl_convert as vlc

    target = Path(path)
    if target.suffix.lower() not in {".svg", ".png"}:
        raise ModelInputError(f"holdout_chart writes .svg or .png files; got {target.name!r}")
    missing = [c for c in ("label", "actual", "predicted") if c not in comparison.columns]
    if missing:
        raise ModelInputError(f"comparison lacks {missing}; build it with holdout_comparison()")
    order = list(comparison["label"])
    long = comparison.melt(
        id_vars=["label"], value_vars=["actual", "predicted"], var_name="series", value_name="mean"
    )
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "label:O",
                sort=order,
                title="Purchases in calibration period",
                axis=alt.Axis(labelAngle=0),
            ),
            y=alt.Y("mean:Q", title="Mean purchases in holdout period"),
            color=alt.Color("series:N", title=None),
            strokeDash=alt.StrokeDash("series:N", title=None),
        )
        .properties(title="BG/NBD: actual vs predicted holdout purchases", width=420, height=260)
    )
    spec = chart.to_dict()
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() == ".svg":
        target.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
    else:
        target.write_bytes(vlc.vegalite_to_png(spec, scale=2))
    return target


# --------------------------------------------------------------------------------------------
# simulation


def simulate_beta_geo(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: ArrayLike = 52.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Draw (frequency, recency, T) for ``n`` customers from a BG/NBD process, exactly and
    without a per-customer loop: given N(T) Poisson purchases and D ~ Geometric(p) purchases
    until drop-out, x = min(D, N) and the x-th of N uniform arrival times is
    T · Beta(x, N - x + 1)."""
    if n < 1:
        raise ModelInputError(f"n must be at least 1; got {n}")
    values = np.array([r, alpha, a, b], dtype=float)
    if not np.all(np.isfinite(values) & (values > 0)):
        raise ModelInputError(f"BG/NBD parameters must be finite and > 0; got {values.tolist()}")
    age = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    if np.any(~np.isfinite(age) | (age < 0)):
        raise ModelInputError("T must be finite and ≥ 0")
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n)
    drop = np.clip(rng.beta(a, b, n), 1e-12, 1.0)
    purchases = rng.poisson(lam * age)
    until_drop = rng.geometric(drop)
    x = np.minimum(purchases, until_drop)
    rep = x > 0
    position = rng.beta(np.where(rep, x, 1), np.where(rep, purchases - x + 1, 1))
    recency = np.where(rep, age * position, 0.0)
    return pd.DataFrame({"frequency": x.astype(np.int64), "recency": recency, "T": age})
