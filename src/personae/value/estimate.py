"""Which estimate produced a workspace's value figures, and how to say so.

The value step records in ``value_models`` (document ``summary``) the model that produced
the numbers — ``bgnbd+gamma_gamma``, ``bgnbd+gamma_gamma penalizer=0.1``, ``bgnbd`` (orders
without amounts: purchase counts only), ``rfm_fallback`` (the models did not fit; the
historical estimate of :mod:`personae.value.fallback`) or ``contractual`` — whether there
was money in the orders, and why a fallback was needed. The value report, the profile
report, the persona documents and their report read it here, so that every place that
shows a lifetime value says on what it rests, in words a marketer reads.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import duckdb
import numpy as np

from personae.value.clv import BetaGeo, GammaGamma, ModelInputError

NO_AMOUNTS = "Purchase counts only — no order amounts in the data."
# profile and value columns that are money: left out of descriptions and personas when the
# orders carry no amounts (the profiles' zeros are not spend)
MONEY_ATTRIBUTES = ("revenue", "avg_order_value", "clv")
COUNTS_ONLY_CELL = "purchase counts only — no order amounts in the data"
FALLBACK = (
    "Lifetime value estimated from past purchase rates — the statistical model did not fit "
    "this data: {reason}."
)
FALLBACK_COUNTS = (
    "Expected purchases estimated from past purchase rates — the statistical model did not "
    "fit this data: {reason}."
)

# (words in the model's error, the cause in plain words), first match wins
_PLAIN_CAUSES: tuple[tuple[str, str], ...] = (
    ("have the same (frequency, recency, T)",
     "every customer has the same purchase history (the same number of purchases on the "
     "same dates), so there are no differences in buying rhythm to learn from"),
    ("no customer has a repeat purchase", "no customer has bought twice yet"),
    ("needs many customers", "there is only one customer to learn from"),
    ("same monetary_value",
     "every repeat buyer spends the same amount, so there is no spread of spend to learn from"),
    ("needs repeat buyers", "too few customers have bought twice to learn how much people spend"),
    ("at least 2 repeat buyers",
     "too few customers have bought twice to learn how much people spend"),
    ("expected spend infinite", "spend differs too wildly between customers to predict"),
    ("impossible", "the model's predictions were impossible for this data"),
    ("did not converge", "the model could not settle on an answer for this data"),
)  # fmt: skip


def counts_only(note: str) -> bool:
    """Whether a value note (``SizeFigures.value_note``) says there is no money."""
    return note.startswith(NO_AMOUNTS)


def model_name(money: bool, penalizer: float) -> str:
    """``bgnbd+gamma_gamma``, ``bgnbd`` without amounts; `` penalizer=P`` when one was used."""
    base = "bgnbd+gamma_gamma" if money else "bgnbd"
    return base if penalizer == 0 else f"{base} penalizer={penalizer:g}"


def check_fit(
    bg: BetaGeo,
    gg: GammaGamma | None,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    monetary: np.ndarray,
    horizon_days: float,
) -> None:
    """Raise :class:`ModelInputError` when a fit that converged is still unusable.

    Degenerate: a parameter that is not a finite positive number; a prediction that cannot
    be (purchases are counted as purchase days, so more than one a day in the horizon is
    impossible; P(alive) outside 0..1); Gamma-Gamma with q ≤ 1 (a new customer's expected
    spend is infinite) or a population mean spend over ten times the largest mean spend
    anyone has shown (q just above 1).
    """
    params = {**(bg.params_ or {}), **((gg.params_ or {}) if gg is not None else {})}
    bad = [k for k, v in params.items() if not (math.isfinite(v) and v > 0)]
    if bad:
        raise ModelInputError(f"parameter(s) {', '.join(bad)} are not finite positive numbers")
    alive = bg.p_alive(frequency, recency, T)
    expected = bg.predict_purchases(horizon_days, frequency, recency, T)
    if not (np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))):
        raise ModelInputError("P(alive) is impossible (not a probability) for some customers")
    if not np.all(np.isfinite(expected)) or np.any(expected < 0):
        raise ModelInputError("expected purchases are impossible (missing or negative)")
    if float(np.max(expected, initial=0.0)) > horizon_days:
        raise ModelInputError(
            f"expected purchases are impossible: up to {float(np.max(expected)):,.0f} purchase "
            f"days in a horizon of {horizon_days:,.0f} days"
        )
    if gg is None:
        return
    q = gg.params_["q"]
    if q <= 1:  # a first-time buyer's expected spend is infinite
        raise ModelInputError(f"Gamma-Gamma q = {q:.3g} ≤ 1 (expected spend infinite)")
    repeat = frequency > 0
    largest = float(np.max(monetary[repeat], initial=0.0))
    if largest > 0 and gg.population_mean_spend > 10 * largest:
        raise ModelInputError(
            f"Gamma-Gamma expected spend is impossible: a new customer's mean spend "
            f"{gg.population_mean_spend:,.2f} is over ten times the largest mean spend seen "
            f"({largest:,.2f}); q = {q:.3g} is barely above 1"
        )


def fallback_reason(failures: list[str]) -> str:
    """The cause of the failed fits in plain words (the technical messages per penalizer
    are kept in ``value_models`` and shown in reports/value.md)."""
    found: set[int] = set()
    for failure in failures:
        for i, (words, _) in enumerate(_PLAIN_CAUSES):
            if words in failure:
                found.add(i)
                break
    # the most specific cause first (the table's order), "did not converge" last
    causes = list(dict.fromkeys(_PLAIN_CAUSES[i][1] for i in sorted(found)))
    return "; ".join(causes) or "the model could not be fitted to this data"


@dataclass(frozen=True)
class ValueBasis:
    """What the workspace's value figures rest on."""

    estimate: str  # see the module docstring; "" for a workspace valued before it was kept
    monetary: bool
    note: str  # why the models did not fit (fallback only)

    @property
    def fallback(self) -> bool:
        return self.estimate.startswith("rfm_fallback")

    def sentence(self) -> str:
        """One plain sentence for every place that shows a value ('' for a normal fit)."""
        parts = []
        if not self.monetary:
            parts.append(NO_AMOUNTS)
        if self.fallback:
            template = FALLBACK if self.monetary else FALLBACK_COUNTS
            parts.append(template.format(reason=self.note or "see reports/value.md"))
        return " ".join(parts)


def value_basis(con: duckdb.DuckDBPyConnection) -> ValueBasis | None:
    """The basis recorded by the last value run, ``None`` when value has not run."""
    try:
        rows = con.execute(
            "SELECT document FROM value_models WHERE name = 'summary' LIMIT 1"
        ).fetchall()
    except duckdb.Error:
        return None
    if not rows:
        return None
    try:
        doc = json.loads(rows[0][0])
    except (TypeError, ValueError):
        return None
    return ValueBasis(
        estimate=str(doc.get("estimate") or ""),
        monetary=bool(doc.get("monetary", True)),
        note=str(doc.get("estimate_note") or ""),
    )
