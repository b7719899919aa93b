"""Upsell and cross-sell: what similar customers buy that this one has not.

Retail (categories): for every pair of categories, the share of buyers of A who also
buy B. A customer's propensity for an unbought category C is the mean of ``P(C | A)``
over the categories A they buy (what buyers with their habits also buy), weighted by how
much they spend on each A. The score is the best such propensity (0–100), with the top
three categories.

SaaS (plan tiers): accounts are compared with accounts of the same size band; the share
of those peers on a higher plan is the upgrade chance, and a nearly full seat count adds
a seat-expansion suggestion.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from personae.ingest.revenue import order_lines_table
from personae.locale.resolve import conversion_rates
from personae.value.transactions import KEPT, columns_of

PLAN_ORDER = ("free", "starter", "basic", "team", "pro", "business", "enterprise")


def category_cross_sell(con: duckdb.DuckDBPyConnection, top: int = 3) -> pd.DataFrame:
    """Per buying profile: cross-sell score and the top unbought categories."""
    cols = columns_of(con, "raw_orders")
    if "category" not in cols:
        return pd.DataFrame(columns=["profile_id", "upsell_score", "upsell_suggestions"])
    bought = con.execute(
        f"""
        SELECT rp.profile_id, o.category,
               greatest(sum(coalesce(o.line_revenue, 0)), 0.01) AS spend
        FROM {order_lines_table(cols, rates=conversion_rates(con))} o
        JOIN record_profiles rp ON rp.source_kind = 'orders'
             AND rp.source_file = o._source_file AND rp.source_row = o._source_row
        WHERE rp.profile_id IS NOT NULL AND o.category IS NOT NULL AND {KEPT}
        GROUP BY rp.profile_id, o.category
        """
    ).df()
    if bought.empty:
        return pd.DataFrame(columns=["profile_id", "upsell_score", "upsell_suggestions"])
    cats = np.array(sorted(bought["category"].unique()))
    people, person_idx = np.unique(bought["profile_id"].to_numpy(), return_inverse=True)
    cat_idx = np.searchsorted(cats, bought["category"].to_numpy())
    m = np.zeros((len(people), len(cats)), dtype=np.float32)
    np.add.at(m, (person_idx, cat_idx), bought["spend"].to_numpy(dtype=np.float32))
    owned = m > 0
    co = owned.T.astype(np.float32) @ owned.astype(np.float32)  # co[a, b] = buyers of both
    cond = co / np.maximum(np.diag(co)[:, None], 1)  # P(b | a)
    np.fill_diagonal(cond, 0.0)
    share = m / np.maximum(m.sum(1, keepdims=True), 1e-9)
    chance = share @ cond
    chance[owned] = 0.0
    order = np.argsort(-chance, axis=1, kind="stable")[:, :top]
    best = np.take_along_axis(chance, order, axis=1)
    suggestions = [
        ", ".join(f"{cats[j]} ({p:.0%})" for j, p in zip(row, ps, strict=True) if p >= 0.05)
        for row, ps in zip(order.tolist(), best.tolist(), strict=True)
    ]
    return pd.DataFrame(
        {
            "profile_id": people,
            "upsell_score": np.round(best[:, 0] * 100, 1),
            "upsell_suggestions": suggestions,
        }
    )


def plan_upgrades(accounts: pd.DataFrame) -> pd.DataFrame:
    """Per account: upgrade chance from same-size peers, and seat expansion."""
    if accounts.empty or "plan" not in accounts:
        return pd.DataFrame(columns=["account_id", "upsell_score", "upsell_suggestions"])
    plan = accounts["plan"].fillna("").str.lower()
    rank = plan.map({p: i for i, p in enumerate(PLAN_ORDER)}).fillna(-1).to_numpy()
    band = accounts["employee_band"].fillna("?").to_numpy()
    scores, suggestions = [], []
    util = accounts["seat_utilisation"].to_numpy(dtype=float)
    for i in range(len(accounts)):
        peers = (band == band[i]) & (rank >= 0)
        higher = peers & (rank > rank[i])
        share = higher.sum() / max(peers.sum(), 1)
        parts = []
        if rank[i] >= 0 and higher.any():
            # the most common higher plan among peers
            vals, counts = np.unique(rank[higher], return_counts=True)
            target = PLAN_ORDER[int(vals[np.argmax(counts)])]
            parts.append(f"plan {target} ({share:.0%} of same-size accounts)")
        seat_score = 0.0
        if not np.isnan(util[i]) and util[i] >= 0.9:
            seat_score = min(1.0, (util[i] - 0.9) / 0.1 * 0.5 + 0.5)
            parts.append(f"more seats ({util[i]:.0%} in use)")
        scores.append(round(100 * max(share, seat_score), 1))
        suggestions.append(", ".join(parts))
    return pd.DataFrame(
        {
            "account_id": accounts["account_id"].to_numpy(),
            "upsell_score": scores,
            "upsell_suggestions": suggestions,
        }
    )
