"""BG/NBD and Gamma-Gamma (personae.value.clv): published CDNOW estimates, agreement with
lifetimes (the reference implementation, used only here and in the bench), exact gradients,
parameter recovery from simulated data, calibration/holdout validation, the independence
check, and clear errors for every kind of bad input.

CDNOW: the 1/10 sample (2,357 customers) of the cohort that first bought at CDNOW in the
first quarter of 1997, 39-week calibration (1997-01-01 .. 1997-09-30) and 39-week holdout,
as used by Fader, Hardie & Lee (2005); lifetimes ships it.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize, special

from personae.value import clv
from personae.value.clv import (
    BetaGeo,
    GammaGamma,
    ModelFitWarning,
    ModelInputError,
    calibration_holdout,
    customer_lifetime_value,
    holdout_chart,
    holdout_comparison,
    simulate_beta_geo,
    spend_frequency_correlation,
    summarise_transactions,
)

with warnings.catch_warnings():
    # lifetimes 0.11.3 sets a pandas option that pandas 3 deprecates, at import
    warnings.simplefilter("ignore")
    import lifetimes
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value
    from lifetimes.utils import calibration_and_holdout_data

DATASETS = Path(lifetimes.__file__).parent / "datasets"

# Fader, Hardie & Lee (2005), "Counting your customers the easy way", CDNOW: estimates and LL.
PUBLISHED_BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BG_LL = -9582.4
# Fader, Hardie & Lee (2005), "RFM and CLV", and Fader & Hardie's Gamma-Gamma note, CDNOW.
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}
# lifetimes names γ "v" too.
LIFETIMES_MONTH_IN_WEEKS = 4.345  # lifetimes' CLV month when freq="W"


# --------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_summary_data_with_monetary_value()


@pytest.fixture(scope="module")
def bg(cdnow: pd.DataFrame) -> BetaGeo:
    return BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def gg(cdnow: pd.DataFrame) -> GammaGamma:
    return GammaGamma().fit(cdnow["frequency"], cdnow["monetary_value"])


@pytest.fixture(scope="module")
def ref_bg(cdnow: pd.DataFrame) -> BetaGeoFitter:
    return BetaGeoFitter().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])


@pytest.fixture(scope="module")
def ref_gg(cdnow: pd.DataFrame) -> GammaGammaFitter:
    repeat = cdnow[cdnow["frequency"] > 0]
    return GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])


@pytest.fixture(scope="module")
def cdnow_transactions() -> pd.DataFrame:
    # columns: master-file customer id, sample id, yyyymmdd, CDs bought, dollars
    frame = pd.read_csv(
        DATASETS / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer", "date", "cds", "amount"],
        dtype={"date": str},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


@pytest.fixture(scope="module")
def cdnow_split(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    return calibration_holdout(
        cdnow_transactions,
        "customer",
        "date",
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit_days=7,
        monetary_col="amount",
    )


def _bg_data(frame: pd.DataFrame) -> clv._BetaGeoData:
    x, t_x, age = (frame[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    return clv._BetaGeoData.build(x, t_x, age, np.ones(len(x)))


def _gg_data(frame: pd.DataFrame) -> clv._GammaGammaData:
    repeat = frame[frame["frequency"] > 0]
    x, m = (repeat[c].to_numpy(dtype=float) for c in ("frequency", "monetary_value"))
    return clv._GammaGammaData.build(x, m, np.ones(len(x)))


# --------------------------------------------------------------------------------------------
# published estimates


def test_bgnbd_reproduces_published_cdnow_estimates(bg: BetaGeo) -> None:
    assert bg.params_ is not None
    for name, published in PUBLISHED_BG.items():
        assert bg.params_[name] == pytest.approx(published, rel=0.005), name
    assert bg.log_likelihood_ == pytest.approx(PUBLISHED_BG_LL, abs=0.1)
    assert bg.converged_
    assert bg.n_customers_ == 2357
    assert set(bg.standard_errors_) == set(PUBLISHED_BG)
    assert all(0 < se < bg.params_[k] for k, se in bg.standard_errors_.items())


def test_gamma_gamma_reproduces_published_cdnow_estimates(gg: GammaGamma) -> None:
    assert gg.params_ is not None
    for name, published in PUBLISHED_GG.items():
        assert gg.params_[name] == pytest.approx(published, rel=0.005), name
    assert gg.n_customers_ == 946  # repeat buyers only
    assert gg.converged_
    assert gg.population_mean_spend == pytest.approx(6.25 * 15.44 / 2.74, rel=0.01)


def test_summary_frames(bg: BetaGeo, gg: GammaGamma) -> None:
    table = bg.summary()
    assert list(table.index) == ["r", "alpha", "a", "b"]
    assert (table["lower_95"] < table["estimate"]).all()
    assert list(gg.summary().index) == ["p", "q", "v"]


def test_loglikelihood_equals_the_papers_formula_term_by_term(
    cdnow: pd.DataFrame, bg: BetaGeo
) -> None:
    """Independent, naive evaluation (no logs, no compression) of FHL 2005 eq. 6."""
    assert bg.params_ is not None
    r, alpha, a, b = (bg.params_[k] for k in ("r", "alpha", "a", "b"))
    x, t_x, age = (cdnow[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    common = special.gamma(r + x) * alpha**r / special.gamma(r)
    first = special.beta(a, b + x) / special.beta(a, b) * common / (alpha + age) ** (r + x)
    with np.errstate(all="ignore"):
        second = (
            special.beta(a + 1, b + x - 1) / special.beta(a, b) * common / (alpha + t_x) ** (r + x)
        )
    total = np.log(first + np.where(x > 0, second, 0.0)).sum()
    assert bg.log_likelihood_ == pytest.approx(total, rel=1e-10)


def test_gamma_gamma_loglikelihood_equals_the_density(cdnow: pd.DataFrame, gg: GammaGamma) -> None:
    assert gg.params_ is not None
    p, q, v = gg.params_["p"], gg.params_["q"], gg.params_["v"]
    repeat = cdnow[cdnow["frequency"] > 0]
    x, m = repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy(float)
    # in logs: Γ(px+q) overflows for heavy buyers
    log_density = (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + x * m)
    )
    assert gg.log_likelihood_ == pytest.approx(log_density.sum(), rel=1e-10)


# --------------------------------------------------------------------------------------------
# exact gradients


@pytest.mark.parametrize("penalizer", [0.0, 0.05])
def test_bgnbd_gradient_is_exact(cdnow: pd.DataFrame, penalizer: float) -> None:
    data = _bg_data(cdnow)
    rng = np.random.default_rng(1)
    for _ in range(5):
        theta = np.log([0.243, 4.414, 0.793, 2.426]) + rng.normal(0, 0.5, 4)
        err = optimize.check_grad(
            lambda th: clv._bg_negloglik(th, data, penalizer)[0],
            lambda th: clv._bg_negloglik(th, data, penalizer)[1],
            theta,
        )
        scale = max(1.0, float(np.linalg.norm(clv._bg_negloglik(theta, data, penalizer)[1])))
        assert err / scale < 1e-5
        # central differences are accurate to ~1e-9 here: a tighter check
        grad = clv._bg_negloglik(theta, data, penalizer)[1]
        numeric = np.array(
            [
                (
                    clv._bg_negloglik(theta + h, data, penalizer)[0]
                    - clv._bg_negloglik(theta - h, data, penalizer)[0]
                )
                / 2e-6
                for h in np.eye(4) * 1e-6
            ]
        )
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_gamma_gamma_gradient_is_exact(cdnow: pd.DataFrame) -> None:
    data = _gg_data(cdnow)
    rng = np.random.default_rng(2)
    for _ in range(5):
        theta = np.log([6.25, 3.74, 15.44]) + rng.normal(0, 0.5, 3)
        err = optimize.check_grad(
            lambda th: clv._gg_negloglik(th, data, 0.01)[0],
            lambda th: clv._gg_negloglik(th, data, 0.01)[1],
            theta,
        )
        scale = max(1.0, float(np.linalg.norm(clv._gg_negloglik(theta, data, 0.01)[1])))
        assert err / scale < 1e-5


# --------------------------------------------------------------------------------------------
# agreement with lifetimes


def test_parameters_match_lifetimes_to_4_decimals(
    bg: BetaGeo, gg: GammaGamma, ref_bg: BetaGeoFitter, ref_gg: GammaGammaFitter
) -> None:
    assert bg.params_ is not None and gg.params_ is not None
    for name, value in bg.params_.items():
        assert abs(value - ref_bg.params_[name]) < 5e-5, name
    for name, value in gg.params_.items():
        assert abs(value - ref_gg.params_[name]) < 5e-5, name


def test_standard_errors_match_lifetimes(
    bg: BetaGeo, gg: GammaGamma, ref_bg: BetaGeoFitter, ref_gg: GammaGammaFitter
) -> None:
    for model, ref in ((bg, ref_bg), (gg, ref_gg)):
        for name, se in model.standard_errors_.items():
            assert se == pytest.approx(ref.summary.loc[name, "se(coef)"], rel=1e-3), name


def test_predictions_match_lifetimes(
    cdnow: pd.DataFrame, bg: BetaGeo, ref_bg: BetaGeoFitter
) -> None:
    x, t_x, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    np.testing.assert_allclose(
        bg.p_alive(x, t_x, age), ref_bg.conditional_probability_alive(x, t_x, age), rtol=1e-4
    )
    for t in (1.0, 10.0, 39.0, 52.0, 104.0):
        mine = bg.predict_purchases(t, x, t_x, age)
        theirs = ref_bg.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, age)
        np.testing.assert_allclose(mine, theirs, rtol=1e-4)
        population = ref_bg.expected_number_of_purchases_up_to_time(t)
        assert bg.predict_purchases(t) == pytest.approx(population, rel=1e-4)
        assert bg.expected_purchases_population(t) == pytest.approx(population, rel=1e-4)


def test_formulas_match_lifetimes_exactly_with_the_same_parameters(
    cdnow: pd.DataFrame, ref_bg: BetaGeoFitter, ref_gg: GammaGammaFitter
) -> None:
    """With identical parameters, the formulas (not the optimisers) are compared."""
    bg = BetaGeo.from_params(**ref_bg.params_.to_dict())
    gg = GammaGamma.from_params(**ref_gg.params_.to_dict())
    x, t_x, age, m = (cdnow[c] for c in ("frequency", "recency", "T", "monetary_value"))
    np.testing.assert_allclose(
        bg.p_alive(x, t_x, age), ref_bg.conditional_probability_alive(x, t_x, age), rtol=1e-10
    )
    np.testing.assert_allclose(
        bg.predict_purchases(39.0, x, t_x, age),
        ref_bg.conditional_expected_number_of_purchases_up_to_time(39.0, x, t_x, age),
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        gg.expected_spend(x, m), ref_gg.conditional_expected_average_profit(x, m), rtol=1e-10
    )


def test_one_time_buyers_can_have_left_as_in_the_modified_model(
    cdnow: pd.DataFrame, ref_bg: BetaGeoFitter
) -> None:
    """The P(alive) a reader sees: repeat buyers keep BG/NBD's; one-time buyers get the
    MBG/NBD form with the same parameters (lifetimes' ModifiedBetaGeoFitter, eq. 5 of
    Batislam et al.), so a one-timer from long ago is no longer alive for certain."""
    params = ref_bg.params_.to_dict()
    bg = BetaGeo.from_params(**params)
    mbg = lifetimes.ModifiedBetaGeoFitter()
    mbg.params_ = pd.Series(params)
    x, t_x, age = (cdnow[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    shown = bg.p_alive_comparable(x, t_x, age)
    once = x == 0
    assert once.sum() > 1000 and (~once).sum() > 900  # CDNOW: most bought once
    np.testing.assert_allclose(shown[~once], bg.p_alive(x, t_x, age)[~once], rtol=1e-12)
    np.testing.assert_allclose(
        shown[once], mbg.conditional_probability_alive(x, t_x, age)[once], rtol=1e-10
    )
    assert (shown[once] < 1).all()
    # the longer ago their one purchase, the less likely they are still a customer
    order = np.argsort(age[once])
    assert (np.diff(shown[once][order]) <= 1e-12).all()


def test_clv_matches_lifetimes_with_its_month(
    cdnow: pd.DataFrame,
    bg: BetaGeo,
    gg: GammaGamma,
    ref_bg: BetaGeoFitter,
    ref_gg: GammaGammaFitter,
) -> None:
    """lifetimes' CLV is the same discounted sum; with weekly data (freq="W") its month is
    4.345 weeks, so period_length = 4.345 · 7 days and time_unit_days = 7 reproduce it."""
    x, t_x, age, m = (cdnow[c] for c in ("frequency", "recency", "T", "monetary_value"))
    for horizon, rate in ((12, 0.01), (3, 0.0), (24, 0.02)):
        mine = customer_lifetime_value(
            bg,
            gg,
            x,
            t_x,
            age,
            m,
            horizon=horizon,
            period_length=LIFETIMES_MONTH_IN_WEEKS * 7,
            discount_rate=rate,
            time_unit_days=7,
        )
        theirs = ref_gg.customer_lifetime_value(
            ref_bg, x, t_x, age, m, time=horizon, discount_rate=rate, freq="W"
        )
        np.testing.assert_allclose(mine, theirs.to_numpy(), rtol=1e-4)
        assert np.all(np.isfinite(mine)) and np.all(mine > 0)


def test_clv_conventions(cdnow: pd.DataFrame, bg: BetaGeo, gg: GammaGamma) -> None:
    x, t_x, age, m = (cdnow[c] for c in ("frequency", "recency", "T", "monetary_value"))
    spend = gg.expected_spend(x, m)
    # no discount: the sum telescopes to the purchases over the whole horizon
    flat = customer_lifetime_value(
        bg, gg, x, t_x, age, m, horizon=12, discount_rate=0.0, time_unit_days=7
    )
    whole = bg.predict_purchases(12 * 30.4375 / 7, x, t_x, age) * spend
    np.testing.assert_allclose(flat, whole, rtol=1e-12)
    # discounting lowers value; a longer horizon raises it
    base = customer_lifetime_value(bg, gg, x, t_x, age, m, time_unit_days=7)
    assert np.all(base < flat)
    assert np.all(
        customer_lifetime_value(bg, gg, x, t_x, age, m, horizon=24, time_unit_days=7) > base
    )
    # a fractional horizon sits between its neighbours
    half = customer_lifetime_value(bg, gg, x, t_x, age, m, horizon=12.5, time_unit_days=7)
    assert np.all(half > base)


def test_clv_does_not_depend_on_the_time_unit(cdnow: pd.DataFrame, gg: GammaGamma) -> None:
    """The same customers measured in days instead of weeks give α × 7, the same r, a, b and
    the same CLV once time_unit_days says what the unit is."""
    x, m = cdnow["frequency"], cdnow["monetary_value"]
    weeks = BetaGeo().fit(x, cdnow["recency"], cdnow["T"])
    days = BetaGeo().fit(x, cdnow["recency"] * 7, cdnow["T"] * 7)
    assert weeks.params_ is not None and days.params_ is not None
    assert days.params_["alpha"] == pytest.approx(7 * weeks.params_["alpha"], rel=1e-6)
    for name in ("r", "a", "b"):
        assert days.params_[name] == pytest.approx(weeks.params_[name], rel=1e-6)
    in_weeks = customer_lifetime_value(
        weeks, gg, x, cdnow["recency"], cdnow["T"], m, time_unit_days=7
    )
    in_days = customer_lifetime_value(days, gg, x, cdnow["recency"] * 7, cdnow["T"] * 7, m)
    np.testing.assert_allclose(in_days, in_weeks, rtol=1e-5)


# --------------------------------------------------------------------------------------------
# simulation, recovery, weights, sampling


def test_simulator_matches_the_models_expectation() -> None:
    """Mean simulated frequency equals E[X(T)] from the closed form: checks both the
    simulator and expected_purchases_population."""
    truth = {"r": 0.5, "alpha": 8.0, "a": 0.9, "b": 3.0}
    sim = simulate_beta_geo(200_000, T=39.0, seed=11, **truth)
    expected = BetaGeo.from_params(**truth).expected_purchases_population(39.0)
    se = sim["frequency"].std() / math.sqrt(len(sim))
    assert abs(sim["frequency"].mean() - expected) < 4 * se
    assert (sim["recency"] <= sim["T"]).all()
    assert (sim.loc[sim["frequency"] == 0, "recency"] == 0).all()


def test_parameter_recovery_from_simulated_data() -> None:
    truth = {"r": 0.5, "alpha": 10.0, "a": 0.8, "b": 4.0}
    age = np.random.default_rng(5).uniform(20, 80, 100_000)
    sim = simulate_beta_geo(100_000, T=age, seed=6, **truth)
    model = BetaGeo().fit(sim["frequency"], sim["recency"], sim["T"])
    assert model.params_ is not None
    for name, value in truth.items():
        estimate, se = model.params_[name], model.standard_errors_[name]
        assert abs(estimate - value) < 4 * se, (name, estimate, se)
        assert estimate == pytest.approx(value, rel=0.1)


def test_weights_and_repeated_rows_give_the_same_fit(cdnow: pd.DataFrame, bg: BetaGeo) -> None:
    x, t_x, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    tripled = BetaGeo().fit(np.tile(x, 3), np.tile(t_x, 3), np.tile(age, 3))
    weighted = BetaGeo().fit(x, t_x, age, weights=np.full(len(x), 3))
    assert tripled.n_customers_ == weighted.n_customers_ == 3 * 2357
    assert bg.params_ is not None
    for name, value in bg.params_.items():
        assert tripled.params_ is not None and weighted.params_ is not None
        assert tripled.params_[name] == pytest.approx(value, rel=1e-7)
        assert weighted.params_[name] == pytest.approx(value, rel=1e-7)
    assert tripled.log_likelihood_ == pytest.approx(3 * bg.log_likelihood_, rel=1e-10)
    assert bg.n_rows_ < 2357  # identical rows were merged


def test_fit_on_a_sample_scores_everyone() -> None:
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    sim = simulate_beta_geo(
        300_000, T=np.random.default_rng(3).uniform(5, 60, 300_000), seed=4, **truth
    )
    full = BetaGeo().fit(sim["frequency"], sim["recency"], sim["T"])
    part = BetaGeo().fit(sim["frequency"], sim["recency"], sim["T"], sample_size=60_000, seed=1)
    assert part.n_customers_ == 60_000
    assert full.params_ is not None and part.params_ is not None
    for name in truth:
        assert abs(part.params_[name] - full.params_[name]) < 4 * part.standard_errors_[name]
    scores = part.predict_purchases(10.0, sim["frequency"], sim["recency"], sim["T"])
    assert scores.shape == (300_000,) and np.all(np.isfinite(scores))


def test_daily_grid_scoring_shortcut_changes_nothing() -> None:
    """Scoring evaluates 2F1 once per distinct (x, T) on large inputs; same numbers."""
    rng = np.random.default_rng(8)
    sim = simulate_beta_geo(
        30_000, 0.243, 30.9, 0.793, 2.426, T=rng.integers(1, 366, 30_000), seed=9
    )
    sim["recency"] = np.minimum(np.ceil(sim["recency"]), sim["T"])
    model = BetaGeo.from_params(0.243, 30.9, 0.793, 2.426)
    x, t_x, age = (sim[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    direct = model.p_alive(x, t_x, age) * clv._given_alive(
        60.0, 0.243 + x, 30.9 + age, 0.793, 2.426 + x
    )
    np.testing.assert_array_equal(model.predict_purchases(60.0, x, t_x, age), direct)
    assert clv._GivenAlive(x, age, (0.243, 30.9, 0.793, 2.426)).distinct is not None
    gg = GammaGamma.from_params(6.25, 3.74, 15.44)
    spend = np.where(x > 0, 20.0, 0.0)
    value = customer_lifetime_value(model, gg, x, t_x, age, spend, horizon=2, discount_rate=0.0)
    two_months = model.predict_purchases(2 * 30.4375, x, t_x, age) * gg.expected_spend(x, spend)
    np.testing.assert_allclose(value, two_months, rtol=1e-12)


def test_penalizer_shrinks_parameters(cdnow: pd.DataFrame, bg: BetaGeo) -> None:
    shrunk = BetaGeo(penalizer=0.1).fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    assert bg.params_ is not None and shrunk.params_ is not None
    assert sum(v * v for v in shrunk.params_.values()) < sum(v * v for v in bg.params_.values())
    assert shrunk.log_likelihood_ < bg.log_likelihood_


def test_parameter_on_a_bound_warns() -> None:
    x = np.array([0, 1, 2, 0, 3.0])
    with pytest.warns(ModelFitWarning, match="barely identify"):
        model = BetaGeo().fit(x, x, np.full(5, 4.0))
    assert math.isnan(model.standard_errors_["b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelFitWarning)
        BetaGeo(penalizer=0.1).fit(x, x, np.full(5, 4.0))


# --------------------------------------------------------------------------------------------
# numerical safety of predictions


def test_quadrature_agrees_with_the_hypergeometric_closed_form() -> None:
    rng = np.random.default_rng(9)
    n = 400
    x = rng.integers(0, 60, n).astype(float)
    t = rng.uniform(0.1, 100, n)
    beta = rng.uniform(5, 100, n)
    for a, b in ((0.3, 0.8), (0.793, 2.426), (2.5, 7.0)):
        closed = clv._given_alive_closed_form(t, 0.7 + x, beta, a, b + x)
        quad = clv._given_alive_quadrature(t, 0.7 + x, beta, a, b + x)
        np.testing.assert_allclose(quad, closed, rtol=1e-7)


def test_predictions_are_continuous_through_a_equal_1(cdnow: pd.DataFrame) -> None:
    """a = 1 makes the closed form 0/0; the quadrature fallback takes over seamlessly."""
    x, t_x, age = cdnow["frequency"], cdnow["recency"], cdnow["T"]
    at_one = BetaGeo.from_params(0.25, 4.4, 1.0, 2.4).predict_purchases(39, x, t_x, age)
    below = BetaGeo.from_params(0.25, 4.4, 0.99, 2.4).predict_purchases(39, x, t_x, age)
    above = BetaGeo.from_params(0.25, 4.4, 1.01, 2.4).predict_purchases(39, x, t_x, age)
    assert np.all(np.isfinite(at_one))
    np.testing.assert_allclose(at_one, (below + above) / 2, rtol=1e-3)


def test_extreme_customers_get_finite_predictions() -> None:
    """A heavy buyer far into the future overflows 2F1; the quadrature fallback keeps the
    prediction finite and accurate (reference: adaptive scipy.integrate.quad)."""
    r, alpha, a, b = 0.162, 0.12, 0.85, 11.7
    model = BetaGeo.from_params(r, alpha, a, b)
    x, t_x, age = (
        np.array([238.0, 0.0, 1.0]),
        np.array([11.0, 0.0, 1e-9]),
        np.array([11.3, 1e4, 1e4]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning leaks either
        value = model.predict_purchases(213.0, x, t_x, age)
        alive = model.p_alive(x, t_x, age)
    assert np.all(np.isfinite(value)) and np.all(value >= 0)
    assert 0 < alive[2] < 1e-4  # one early repeat, then silence for 10,000 periods

    s, rate, b_post, t = r + 238, alpha + 11.3, b + 238, 213.0
    log_norm = special.betaln(a, b_post)

    def integrand(p: float) -> float:
        density = math.exp((a - 1) * math.log(p) + (b_post - 1) * math.log1p(-p) - log_norm)
        return density * -math.expm1(-s * math.log1p(p * t / rate)) / p

    edge = rate / (s * t)
    reference, _ = integrate.quad(
        integrand, 0, 1, points=[edge, 10 * edge, 100 * edge], limit=500, epsrel=1e-12
    )
    assert value[0] / alive[0] == pytest.approx(reference, rel=1e-6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    r=st.floats(0.05, 5),
    alpha=st.floats(0.1, 200),
    a=st.floats(0.05, 5),
    b=st.floats(0.05, 20),
    x=st.integers(0, 300),
    age=st.floats(0.01, 500),
    share=st.floats(0, 1),
    t=st.floats(0, 1000),
)
def test_prediction_properties(
    r: float, alpha: float, a: float, b: float, x: int, age: float, share: float, t: float
) -> None:
    model = BetaGeo.from_params(r, alpha, a, b)
    t_x = share * age if x > 0 else 0.0
    alive = model.p_alive([x], [t_x], [age])
    now = model.predict_purchases(t, [x], [t_x], [age])
    later = model.predict_purchases(t * 1.5 + 1, [x], [t_x], [age])
    assert 0 <= alive[0] <= 1
    assert np.isfinite(now[0]) and np.isfinite(later[0])
    assert 0 <= now[0] <= alive[0] * (r + x) * t / (alpha + age) * (1 + 1e-6) + 1e-12
    assert later[0] >= now[0] * (1 - 1e-7)
    population = model.expected_purchases_population(t)
    assert np.isfinite(population) and population >= 0


# --------------------------------------------------------------------------------------------
# calibration / holdout on CDNOW transactions


def test_calibration_split_reproduces_the_published_summary(
    cdnow_split: pd.DataFrame, cdnow: pd.DataFrame
) -> None:
    """The paper's summary (recency/T to 2 decimals, spend = mean of repeat purchase days)."""
    assert len(cdnow_split) == 2357
    np.testing.assert_array_equal(cdnow_split["frequency_cal"], cdnow["frequency"])
    np.testing.assert_allclose(cdnow_split["recency_cal"], cdnow["recency"], atol=0.0051)
    np.testing.assert_allclose(cdnow_split["T_cal"], cdnow["T"], atol=0.0051)
    np.testing.assert_allclose(
        cdnow_split["monetary_value_cal"], cdnow["monetary_value"], atol=0.0051
    )
    assert (cdnow_split["duration_holdout"] == 39).all()


def test_calibration_split_matches_lifetimes(cdnow_transactions: pd.DataFrame) -> None:
    mine = calibration_holdout(
        cdnow_transactions, "customer", "date", "1997-09-30", "1998-06-30", time_unit_days=1
    )
    theirs = calibration_and_holdout_data(
        cdnow_transactions,
        "customer",
        "date",
        calibration_period_end="1997-09-30",
        observation_period_end="1998-06-30",
        freq="D",
        monetary_value_col="amount",  # lifetimes 0.11.3 fails on pandas 3 without one
    )
    # lifetimes' holdout spend averages order lines; ours averages purchase days (like the
    # calibration spend), so only the counting columns are compared.
    for column in (
        "frequency_cal",
        "recency_cal",
        "T_cal",
        "frequency_holdout",
        "duration_holdout",
    ):
        np.testing.assert_allclose(mine[column].to_numpy(float), theirs[column].to_numpy(float))


def test_summarise_transactions_equals_the_calibration_half(
    cdnow_transactions: pd.DataFrame, cdnow_split: pd.DataFrame
) -> None:
    summary = summarise_transactions(
        cdnow_transactions,
        "customer",
        "date",
        observation_end="1997-09-30",
        time_unit_days=7,
        monetary_col="amount",
    )
    for column in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(summary[column], cdnow_split[f"{column}_cal"])
    plain = summarise_transactions(cdnow_transactions, "customer", "date")
    assert list(plain.columns) == ["frequency", "recency", "T"]
    assert plain["T"].max() == (pd.Timestamp("1998-06-30") - pd.Timestamp("1997-01-01")).days


def test_holdout_comparison_on_cdnow(cdnow_split: pd.DataFrame, ref_bg: BetaGeoFitter) -> None:
    model = BetaGeo().fit(
        cdnow_split["frequency_cal"], cdnow_split["recency_cal"], cdnow_split["T_cal"]
    )
    table = holdout_comparison(model, cdnow_split)
    assert list(table["label"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert table["customers"].sum() == 2357
    # the data's actual mean holdout purchases per calibration frequency, pinned
    np.testing.assert_allclose(
        table["actual"], [0.2367, 0.6970, 1.3925, 1.5600, 2.5323, 2.9474, 3.8621, 6.3594], atol=1e-4
    )
    # predictions are the model's, as lifetimes computes them
    theirs = ref_bg.conditional_expected_number_of_purchases_up_to_time(
        39.0, cdnow_split["frequency_cal"], cdnow_split["recency_cal"], cdnow_split["T_cal"]
    )
    buckets = np.minimum(cdnow_split["frequency_cal"].to_numpy(), 7)
    expected = pd.Series(np.asarray(theirs)).groupby(buckets).mean().to_numpy()
    np.testing.assert_allclose(table["predicted"], expected, rtol=1e-4)
    # Model fit. The BG/NBD under-predicts customers with 1-2 calibration purchases on CDNOW
    # by ≈25% (lifetimes predicts the same), ≤15% elsewhere. Total holdout repeat purchases:
    # 1,653 predicted vs 1,882 actual (-12%).
    error = (table["predicted"] / table["actual"] - 1).abs().to_numpy()
    assert np.all(error[[0, 3, 4, 5, 6, 7]] < 0.15), error
    assert np.all(error[[1, 2]] < 0.30), error
    predicted_total = (table["predicted"] * table["customers"]).sum()
    actual_total = (table["actual"] * table["customers"]).sum()
    assert actual_total == 1882
    assert abs(predicted_total / actual_total - 1) < 0.15


def test_holdout_chart_is_offline_svg_and_png(
    cdnow_split: pd.DataFrame, bg: BetaGeo, tmp_path: Path
) -> None:
    table = holdout_comparison(bg, cdnow_split)
    svg = holdout_chart(table, tmp_path / "clv" / "holdout.svg")
    text = svg.read_text()
    assert svg.stat().st_size > 1000 and "<svg" in text
    assert "actual" in text and "predicted" in text
    without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", text)
    assert not re.search(r"https?://", without_namespaces)
    png = holdout_chart(table, tmp_path / "holdout.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ModelInputError, match=r"\.svg or \.png"):
        holdout_chart(table, tmp_path / "holdout.html")


# --------------------------------------------------------------------------------------------
# Gamma-Gamma independence check


def test_independence_check_on_cdnow(cdnow: pd.DataFrame) -> None:
    check = spend_frequency_correlation(cdnow["frequency"], cdnow["monetary_value"])
    assert check.n == 946
    assert check.pearson_r == pytest.approx(0.11, abs=0.01)  # FHL 2005 report 0.11
    assert check.independent and check.verdict == "independent enough"
    assert "946 repeat buyers" in str(check)


def test_independence_check_warns_on_dependent_spend() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, 500)
    spend = 10 + 3 * x + rng.normal(0, 5, 500).clip(-9, 9)
    check = spend_frequency_correlation(x, spend)
    assert not check.independent
    assert check.verdict.startswith("warning") and "more per transaction" in check.verdict


# --------------------------------------------------------------------------------------------
# bad input: ModelInputError with a message naming the problem

NAN = float("nan")
BG_BAD = [
    ("empty", [], [], [], "no customers"),
    ("one customer", [1], [2.0], [5.0], "got 1"),
    ("all identical", [1] * 5, [2.0] * 5, [5.0] * 5, r"same \(frequency, recency, T\)"),
    ("recency > T", [1, 2, 1], [6.0, 1.0, 1.0], [5.0, 5.0, 5.0], "recency is greater than T"),
    ("negative frequency", [-1, 2, 1], [0.0, 1.0, 1.0], [5.0, 5.0, 5.0], "frequency has 1 neg"),
    ("negative recency", [1, 2, 1], [-1.0, 1.0, 1.0], [5.0, 5.0, 5.0], "recency has 1 negative"),
    ("negative T", [0, 2, 1], [0.0, 1.0, 1.0], [-5.0, 5.0, 5.0], "T has 1 negative"),
    ("NaN", [1, 2, 1], [NAN, 1.0, 1.0], [5.0, 5.0, 5.0], "recency has 1 missing"),
    ("inf", [1, 2, 1], [1.0, 1.0, 1.0], [math.inf, 5.0, 5.0], "T has 1 missing or infinite"),
    ("no repeat buyers", [0, 0, 0], [0.0, 0.0, 0.0], [5.0, 6.0, 7.0], "no customer has a repeat"),
    ("mismatched lengths", [1, 2, 1], [1.0, 1.0], [5.0, 5.0, 5.0], "frequency=3, recency=2"),
    ("fractional frequency", [1.5, 2, 1], [1.0, 1.0, 1.0], [5.0, 5.0, 5.0], "whole numbers"),
    ("recency without repeats", [0, 2, 1], [3.0, 1.0, 1.0], [5.0, 5.0, 5.0], "not the time since"),
    ("text", ["a", "b"], [1.0, 1.0], [5.0, 5.0], "must contain numbers"),
    ("two-dimensional", [[1, 2]], [[1.0, 1.0]], [[5.0, 5.0]], "one-dimensional"),
]


@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"), [c[1:] for c in BG_BAD], ids=[c[0] for c in BG_BAD]
)
def test_bgnbd_bad_input(frequency: list, recency: list, T: list, message: str) -> None:
    with pytest.raises(ModelInputError, match=message):
        BetaGeo().fit(frequency, recency, T)


def test_bgnbd_bad_weights() -> None:
    x, t_x, age = [1, 2, 0], [1.0, 2.0, 0.0], [5.0, 5.0, 5.0]
    with pytest.raises(ModelInputError, match="weights must have one value per customer"):
        BetaGeo().fit(x, t_x, age, weights=[1, 2])
    with pytest.raises(ModelInputError, match="weights has 1 negative"):
        BetaGeo().fit(x, t_x, age, weights=[1, -2, 1])
    with pytest.raises(ModelInputError, match="weights sum to 0"):
        BetaGeo().fit(x, t_x, age, weights=[0, 0, 0])


def test_pandas_missing_values_are_reported() -> None:
    frequency = pd.Series([1, None, 2], dtype="Int64")
    with pytest.raises(ModelInputError, match="frequency has 1 missing"):
        BetaGeo().fit(frequency, [1.0, 0.0, 1.0], [5.0, 5.0, 5.0])


GG_BAD = [
    ("no repeat buyers", [0, 0, 0], [0.0, 0.0, 0.0], "needs repeat buyers"),
    ("one repeat buyer", [0, 2, 0], [0.0, 10.0, 0.0], "at least 2 repeat buyers"),
    ("identical spend", [1, 2, 3], [10.0, 10.0, 10.0], "same monetary_value"),
    ("negative spend", [1, 2, 3], [-1.0, 10.0, 12.0], "must be positive for repeat buyers"),
    ("zero spend", [1, 2, 3], [0.0, 10.0, 12.0], "must be positive for repeat buyers"),
    ("NaN spend", [1, 2, 3], [NAN, 10.0, 12.0], "monetary_value has 1 missing"),
    ("mismatched lengths", [1, 2, 3], [10.0, 12.0], "lengths frequency=3, monetary_value=2"),
    ("negative frequency", [-1, 2, 3], [5.0, 10.0, 12.0], "frequency has 1 neg"),
    ("empty", [], [], "no customers"),
]


@pytest.mark.parametrize(
    ("frequency", "spend", "message"), [c[1:] for c in GG_BAD], ids=[c[0] for c in GG_BAD]
)
def test_gamma_gamma_bad_input(frequency: list, spend: list, message: str) -> None:
    with pytest.raises(ModelInputError, match=message):
        GammaGamma().fit(frequency, spend)


def test_gamma_gamma_ignores_spend_of_non_repeaters(cdnow: pd.DataFrame, gg: GammaGamma) -> None:
    spend = cdnow["monetary_value"].where(cdnow["frequency"] > 0)  # NaN where no repeat
    refit = GammaGamma().fit(cdnow["frequency"], spend)
    assert refit.params_ == pytest.approx(gg.params_)
    mean = gg.expected_spend(cdnow["frequency"], spend)
    assert np.all(np.isfinite(mean))
    assert mean[cdnow["frequency"].to_numpy() == 0] == pytest.approx(gg.population_mean_spend)


def test_non_convergence_is_reported(cdnow: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clv, "_GRADIENT_GATE", -1.0)  # nothing counts as converged
    with pytest.raises(ModelInputError, match="BG/NBD fit did not converge from 4 starting"):
        BetaGeo().fit(cdnow["frequency"], cdnow["recency"], cdnow["T"])
    with pytest.raises(ModelInputError, match="Gamma-Gamma fit did not converge"):
        GammaGamma().fit(cdnow["frequency"], cdnow["monetary_value"])


def test_prediction_misuse(cdnow: pd.DataFrame, bg: BetaGeo, gg: GammaGamma) -> None:
    x, t_x, age, m = (cdnow[c] for c in ("frequency", "recency", "T", "monetary_value"))
    with pytest.raises(ModelInputError, match="not fitted yet"):
        BetaGeo().p_alive(x, t_x, age)
    with pytest.raises(ModelInputError, match="not fitted yet"):
        GammaGamma().expected_spend(x, m)
    with pytest.raises(ModelInputError, match="t must be finite and ≥ 0"):
        bg.predict_purchases(-1, x, t_x, age)
    with pytest.raises(ModelInputError, match="together"):
        bg.predict_purchases(10, x)
    with pytest.raises(ModelInputError, match="penalizer"):
        BetaGeo(penalizer=-1)
    with pytest.raises(ModelInputError, match="parameters must be finite and > 0"):
        BetaGeo.from_params(0.2, -1, 1, 1)
    with pytest.raises(ModelInputError, match="horizon must be a positive number"):
        customer_lifetime_value(bg, gg, x, t_x, age, m, horizon=0)
    with pytest.raises(ModelInputError, match="discount_rate must be > -1"):
        customer_lifetime_value(bg, gg, x, t_x, age, m, discount_rate=-2)
    with pytest.raises(ModelInputError, match="lengths frequency=2357, monetary_value=2"):
        customer_lifetime_value(bg, gg, x, t_x, age, m[:2])
    infinite_mean = GammaGamma.from_params(2.0, 0.9, 10.0)
    with pytest.raises(ModelInputError, match="expected spend is infinite"):
        infinite_mean.expected_spend([0, 1], [0.0, 5.0])


def test_transaction_table_errors(cdnow_transactions: pd.DataFrame) -> None:
    tx = cdnow_transactions
    with pytest.raises(ModelInputError, match=r"no column\(s\) \['when'\]"):
        calibration_holdout(tx, "customer", "when", "1997-09-30", "1998-06-30")
    with pytest.raises(ModelInputError, match="must be after calibration_end"):
        calibration_holdout(tx, "customer", "date", "1997-09-30", "1997-01-30")
    with pytest.raises(ModelInputError, match="transactions is empty"):
        calibration_holdout(tx.iloc[:0], "customer", "date", "1997-09-30", "1998-06-30")
    with pytest.raises(ModelInputError, match="no customer made a purchase on or before"):
        calibration_holdout(tx, "customer", "date", "1990-01-01", "1998-06-30")
    bad_dates = tx.assign(date=tx["date"].astype(str).where(tx.index != 3, "not a date"))
    with pytest.raises(ModelInputError, match="1 missing or unparseable date"):
        summarise_transactions(bad_dates, "customer", "date")
    with pytest.raises(ModelInputError, match="calibration_end must be a date"):
        calibration_holdout(tx, "customer", "date", "someday", "1998-06-30")
    with pytest.raises(ModelInputError, match="summary lacks"):
        holdout_comparison(BetaGeo.from_params(1, 1, 1, 1), pd.DataFrame({"x": [1]}))


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(-1, 6),
            st.one_of(st.floats(-1, 30), st.just(NAN)),
            st.floats(-1, 30, allow_infinity=False),
        ),
        max_size=12,
    )
)
def test_any_input_fits_or_raises_model_input_error(rows: list[tuple[int, float, float]]) -> None:
    """Whatever arrives, the caller sees a fit or a ModelInputError — never a SciPy or NumPy
    exception."""
    x = [r[0] for r in rows]
    t_x = [r[1] for r in rows]
    age = [r[2] for r in rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ModelFitWarning)
        try:
            model = BetaGeo().fit(x, t_x, age)
        except ModelInputError as exc:
            assert str(exc)
            return
    assert model.params_ is not None
    assert all(math.isfinite(v) and v > 0 for v in model.params_.values())
    assert np.all(np.isfinite(model.predict_purchases(5.0, x, t_x, age)))
