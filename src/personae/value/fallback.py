"""The historical estimate of purchases, churn risk and lifetime value: what the value step
uses when BG/NBD or Gamma-Gamma cannot be fitted on a workspace's orders.

A statistical model that does not fit (every customer on the same billing schedule, no
repeat buyers to learn spend from, parameters running off to infinity) must not stop the
run, and must not be replaced by something opaque. This estimate reads each customer's own
history and says in one sentence what it does:

* **purchase rate** — repeat purchase days per day since the first purchase, shrunk
  towards the population's rate for short histories: ``rate = (x + R·S) / (T + S)`` with
  ``x`` the repeat purchase days, ``T`` the days since the first purchase, ``R = Σx / ΣT``
  and ``S = SHRINK_DAYS`` (a customer of three weeks is mostly the population's rate, one
  of three years mostly their own);
* **churn risk** — days since the last purchase against the customer's own gap between
  purchases (``t_x / x``; the population's gap ``1 / R`` for one-time buyers):
  ``risk = 1 − exp(−days since last purchase / gap)``, the chance that someone buying at
  their usual pace would have bought again by now;
* **expected purchases** in the horizon ``H`` days: ``(1 − risk) · rate · H``;
* **lifetime value** — expected purchases per month times the customer's mean value per
  purchase day, discounted monthly like the model's CLV. Without order amounts there is
  no value at all (``None``), only the purchase counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SHRINK_DAYS = 90.0  # days of the population's rate added to every customer's history

FALLBACK_NAME = "rfm_fallback"


@dataclass
class HistoricalEstimate:
    """Per-customer arrays (aligned with the inputs) and the population figures used."""

    expected_purchases: np.ndarray
    p_alive: np.ndarray
    churn_risk: np.ndarray
    expected_spend: np.ndarray | None
    clv: np.ndarray | None
    params: dict[str, float] = field(default_factory=dict)


def historical_estimate(
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    spend: np.ndarray | None,
    *,
    horizon_months: int,
    period_length: float,
    discount_rate: float,
) -> HistoricalEstimate:
    """The estimate described in the module docstring.

    ``frequency``, ``recency`` and ``T`` are the BG/NBD inputs in days (repeat purchase
    days, first to last purchase day, first purchase day to the end of observation);
    ``spend`` is each customer's kept revenue, or ``None`` when orders carry no amounts.
    """
    x = np.asarray(frequency, dtype=float)
    tx = np.asarray(recency, dtype=float)
    age = np.asarray(T, dtype=float)
    total_age = float(age.sum())
    pop_rate = float(x.sum()) / total_age if total_age > 0 else 0.0
    rate = (x + pop_rate * SHRINK_DAYS) / (age + SHRINK_DAYS)
    with np.errstate(divide="ignore", invalid="ignore"):
        own_gap = np.where(x > 0, tx / np.maximum(x, 1), np.nan)
        gap = np.where(own_gap > 0, own_gap, 1.0 / pop_rate if pop_rate > 0 else np.nan)
        since_last = np.maximum(age - tx, 0.0)
        risk = 1.0 - np.exp(-since_last / gap)
    # nobody bought twice: no gap to measure lateness against, and no repeat purchases to
    # expect from the history — the risk is unknown, the expected purchases are none
    alive = np.where(np.isnan(risk), 1.0, 1.0 - risk)
    horizon_days = horizon_months * period_length
    expected = alive * rate * horizon_days
    params = {
        "population_rate_per_day": pop_rate,
        "shrink_days": SHRINK_DAYS,
        "horizon_days": horizon_days,
    }
    if spend is None:
        return HistoricalEstimate(expected, alive, risk, None, None, params)
    per_purchase = np.asarray(spend, dtype=float) / (x + 1)
    months = np.arange(1, horizon_months + 1)
    discount = float((1.0 / (1.0 + discount_rate) ** months).sum())
    clv = alive * rate * period_length * per_purchase * discount
    params["mean_value_per_purchase"] = float(np.mean(per_purchase)) if len(x) else 0.0
    return HistoricalEstimate(expected, alive, risk, per_purchase, clv, params)
